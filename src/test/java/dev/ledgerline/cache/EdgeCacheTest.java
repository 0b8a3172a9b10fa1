package dev.ledgerline.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.routes.InstitutionRoutes;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * The edge layer: public catalog answers say {@code public, s-maxage, stale-while-revalidate} with a surrogate key,
 * answers to a caller with a token never say {@code public}, and public data changes send purges (checked against a
 * real HTTP server standing in for Varnish) that carry the token, which is never logged.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeCacheTest {
  private static final String TOKEN = "purge-token-7d1e0c5b9a";
  private static final ListAppender<ILoggingEvent> LOGS = captureLogs();

  record Purge(String method, String keys, String token) {}

  private static final List<Purge> PURGES = new CopyOnWriteArrayList<>();
  private static Vertx edgeVertx;
  private static HttpServer edge;
  private static ConfigService config;

  @RegisterExtension
  static final NodeExtension nodes = NodeExtension.nodes();

  private static ListAppender<ILoggingEvent> captureLogs() {
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.ledgerline")).setLevel(Level.TRACE);
    return appender;
  }

  @BeforeAll
  static void start() {
    edgeVertx = Vertx.vertx();
    edge = edgeVertx.createHttpServer().requestHandler(req -> {
      PURGES.add(new Purge(req.method().name(), req.getHeader("Surrogate-Key"), req.getHeader("X-Purge-Token")));
      req.response().setStatusCode(200).end();
    }).listen(0, "127.0.0.1").await();
    config = NodeExtension.configWith(Map.of("node.roles", "gateway",
        "gateway.rate-limits", NodeExtension.RATE_LIMITS_NEVER_BIND,
        "cache.edge.purge-url", "http://127.0.0.1:" + edge.actualPort() + "/",
        "cache.edge.purge-token", TOKEN));
    nodes.start(config);
  }

  @AfterAll
  static void stop() {
    edgeVertx.close().await();
  }

  private HttpResponse<Buffer> get(String path, String token) {
    var req = WebClient.create(nodes.client()).get(config.current().gateway().port(), "127.0.0.1", path);
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    return req.send().await();
  }

  @Test
  @Order(1)
  void aStartingNodePurgesTheOpenApiDocument() {
    Poll.until(Duration.ofSeconds(10), "the start purge", () -> PURGES.contains(new Purge("BAN", "openapi", TOKEN)));
  }

  @Test
  @Order(2)
  void publicCatalogAnswersAreSharedCacheableWithASurrogateKey() {
    String cc = "public, max-age=300, s-maxage=86400, stale-while-revalidate=60";
    HttpResponse<Buffer> doc = get("/openapi.json", null);
    assertThat(doc.statusCode()).isEqualTo(200);
    assertThat(doc.getHeader("Cache-Control")).isEqualTo(cc);
    assertThat(doc.getHeader("Surrogate-Key")).isEqualTo(EdgePurger.OPENAPI);
    HttpResponse<Buffer> inst = get(InstitutionRoutes.PATH + "?count=2", null);
    assertThat(inst.statusCode()).isEqualTo(200);
    assertThat(inst.getHeader("Cache-Control")).isEqualTo(cc);
    assertThat(inst.getHeader("Surrogate-Key")).isEqualTo(EdgePurger.INSTITUTIONS);
  }

  @Test
  @Order(3)
  void answersToACallerWithATokenNeverSayPublic() {
    String token = dev.ledgerline.testing.Tokens.of(config).issue("edge-reader", Role.USER);
    String admin = dev.ledgerline.testing.Tokens.of(config).issue("edge-admin", Role.ADMIN);
    for (String path : List.of("/openapi.json", InstitutionRoutes.PATH, "/v1/accounts/1", "/v1/accounts",
        "/v1/transfers/1", "/v1/payments", "/v1/linked_accounts", "/v1/admin/users", "/v1/nope")) {
      for (String t : List.of(token, admin)) {
        String cc = get(path, t).getHeader("Cache-Control");
        assertThat(cc).as(path).isNotNull().doesNotContain("public");
      }
    }
  }

  @Test
  @Order(4)
  void aReloadPurgesThePublicAnswersAndAppliesTheNewFreshness() {
    PURGES.clear();
    config.reload(new JsonObject().put("cache",
        new JsonObject().put("edge", new JsonObject().put("s-maxage", "600s"))));
    Poll.until(Duration.ofSeconds(10), "the reload purge",
        () -> PURGES.contains(new Purge("BAN", "institutions openapi", TOKEN)));
    assertThat(get("/openapi.json", null).getHeader("Cache-Control"))
        .isEqualTo("public, max-age=300, s-maxage=600, stale-while-revalidate=60");
    assertThat(get(InstitutionRoutes.PATH + "?count=2", null).getHeader("Cache-Control"))
        .isEqualTo("public, max-age=300, s-maxage=600, stale-while-revalidate=60");
  }

  @Test
  @Order(5)
  void fastlyStylePurgesAndNoneWithoutAUrl() {
    var purge = new LedgerlineConfig.CacheEdge(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO,
        "http://127.0.0.1:" + edge.actualPort() + "/purge", "PURGE", "");
    PURGES.clear();
    try (EdgePurger p = new EdgePurger(nodes.client(), purge)) {
      p.purge(List.of("b", "a")).await();
    }
    assertThat(PURGES).containsExactly(new Purge("PURGE", "a b", null));
    try (EdgePurger none = new EdgePurger(nodes.client(), new LedgerlineConfig.CacheEdge(Duration.ZERO,
        Duration.ZERO, Duration.ZERO, "", "BAN", TOKEN))) {
      none.purge(List.of("institutions")).await();
    }
    assertThat(PURGES).hasSize(1);
  }

  @Test
  @Order(6)
  void thePurgeTokenIsNeverLogged() {
    StringBuilder logs = new StringBuilder();
    for (ILoggingEvent e : List.copyOf(LOGS.list)) {
      logs.append(e.getFormattedMessage()).append('\n').append(e.getMDCPropertyMap()).append('\n');
    }
    assertThat(logs.toString()).contains("edge purge of").doesNotContain(TOKEN);
    assertThat(config.current().cacheEdge().toString()).doesNotContain(TOKEN);
  }
}
