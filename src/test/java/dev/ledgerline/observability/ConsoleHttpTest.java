package dev.ledgerline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console's routes on a node with a management token: the caller × endpoint table, the feed's JSON over
 * server-sent events, the sign-in cookie, the headers, and that no token or user reaches the page or the feed.
 * Without a management token the console is for loopback callers only (routes mounted on a test router).
 */
class ConsoleHttpTest {
  private static final String MANAGEMENT_TOKEN = "console-test-management-token-0123";
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .set("management.auth.token", MANAGEMENT_TOKEN).build();

  private static HttpClient http;
  private static Map<String, String> callers;

  @BeforeAll
  static void start() {
    http = node.client().createHttpClient();
    callers = new java.util.LinkedHashMap<>();
    callers.put("none", null);
    callers.put("user", node.tokens().issue("console-user", Role.USER));
    callers.put("operator", node.tokens().issue("console-operator", Role.OPERATOR));
    callers.put("admin", node.tokens().issue("console-admin", Role.ADMIN));
    callers.put("management token", MANAGEMENT_TOKEN);
    callers.put("wrong token", "not-a-valid-token-at-all-0123456789");
  }

  /** One answer: status, headers we check, and the body or (for the feed) its first event. */
  record Answer(int status, String contentType, String csp, String setCookie, String body) {}

  private static Answer get(int port, String path, String token, String cookie) throws Exception {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI(path);
    if (token != null) o.putHeader("Authorization", "Bearer " + token);
    if (cookie != null) o.putHeader("Cookie", cookie);
    return send(o);
  }

  private static Answer send(RequestOptions o) throws Exception {
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    // The reader is attached on the event loop as the answer's head arrives: attached later from this thread, a short
    // answer could already have ended.
    http.request(o).compose(req -> req.send().andThen(ar -> {
      if (ar.succeeded()) {
        read(ar.result(), answer);
      }
    })).onFailure(answer::completeExceptionally);
    return answer.get(20, TimeUnit.SECONDS);
  }

  /** Reads a whole answer, or an event stream up to its first data event (then drops the connection). */
  private static void read(HttpClientResponse r, CompletableFuture<Answer> answer) {
    String type = r.getHeader("Content-Type");
    Buffer body = Buffer.buffer();
    java.util.function.Supplier<Answer> done = () -> new Answer(r.statusCode(), type,
        r.getHeader("Content-Security-Policy"), r.getHeader("Set-Cookie"), body.toString());
    if (type != null && type.startsWith("text/event-stream")) {
      r.handler(chunk -> {
        body.appendBuffer(chunk);
        String s = body.toString();
        int at = s.indexOf("data: ");
        if (at >= 0 && s.indexOf("\n\n", at) > 0) {
          answer.complete(new Answer(r.statusCode(), type, r.getHeader("Content-Security-Policy"), null,
              s.substring(at + 6, s.indexOf("\n\n", at))));
          r.request().connection().close();
        }
      });
      return;
    }
    r.handler(body::appendBuffer).endHandler(v -> answer.complete(done.get()));
  }

  @Test
  void callerByEndpoint() throws Exception {
    // caller -> expected status of /console, /console/feed and /console/snapshot
    Map<String, Integer> expected = Map.of("none", 401, "user", 403, "operator", 200, "admin", 200,
        "management token", 200, "wrong token", 401);
    List<String> failures = new ArrayList<>();
    for (var c : callers.entrySet()) {
      for (String path : List.of("/console", "/console/feed", "/console/snapshot")) {
        Answer a = get(node.managementPort(), path, c.getValue(), null);
        if (a.status() != expected.get(c.getKey())) {
          failures.add(c.getKey() + " " + path + ": " + a.status());
        }
        assertThat(a.csp()).as(path).contains("default-src 'none'").contains("frame-ancestors 'none'");
        if (a.status() != 200) {
          // A refusal says nothing about the cluster: the sign-in page or a problem, no data.
          assertThat(a.body()).doesNotContain("members").doesNotContain(node.get().id());
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void theFeedSendsJsonSnapshotsWithTheMembersAndNoSecrets() throws Exception {
    Answer a = get(node.managementPort(), "/console/feed", callers.get("operator"), null);
    assertThat(a.contentType()).startsWith("text/event-stream");
    JsonObject snapshot = new JsonObject(a.body());
    JsonArray members = snapshot.getJsonArray("members");
    assertThat(members).hasSize(1);
    assertThat(members.getJsonObject(0).getString("id")).isEqualTo(node.get().id());
    assertThat(members.getJsonObject(0).getJsonArray("roles").getList()).containsExactly("gateway", "ledger");
    for (String token : callers.values()) {
      if (token != null) assertThat(a.body()).doesNotContain(token);
    }
    assertThat(a.body()).doesNotContain("console-operator");
    // Within a tick or two this node's own summary is in: ledger and HTTP figures, breakers and caches.
    Poll.until(Duration.ofSeconds(10), "this node's summary", () -> {
      JsonObject s = new JsonObject(get(node.managementPort(), "/console/snapshot", MANAGEMENT_TOKEN, null).body());
      JsonArray nodes = s.getJsonArray("nodes");
      return nodes.size() == 1 && nodes.getJsonObject(0).getJsonObject("ledger") != null
          && nodes.getJsonObject(0).getJsonArray("breakers").size() == 1;
    });
  }

  @Test
  void aSignedInBrowserCarriesAnHttpOnlyCookie() throws Exception {
    Answer page = get(node.managementPort(), "/console", null, null);
    assertThat(page.status()).isEqualTo(401);
    assertThat(page.contentType()).startsWith("text/html");
    assertThat(page.body()).contains("Sign in");

    Answer refused = post("/console/session", callers.get("user"));
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.setCookie()).isNull();

    Answer signed = post("/console/session", callers.get("operator"));
    assertThat(signed.status()).isEqualTo(204);
    assertThat(signed.setCookie()).startsWith(ConsoleRoutes.COOKIE + "=").containsIgnoringCase("; HttpOnly")
        .contains("SameSite=Strict").contains("Path=/console");
    String cookie = signed.setCookie().substring(0, signed.setCookie().indexOf(';'));
    Answer withCookie = get(node.managementPort(), "/console", null, cookie);
    assertThat(withCookie.status()).isEqualTo(200);
    assertThat(withCookie.body()).contains("/console/assets/console.js").doesNotContain(callers.get("operator"));
    assertThat(get(node.managementPort(), "/console/feed", null, cookie).status()).isEqualTo(200);
  }

  private static Answer post(String path, String token) throws Exception {
    return send(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.managementPort()).setURI(path).putHeader("Authorization", "Bearer " + token));
  }

  @Test
  void assetsAreServedWithoutDataAndUnknownOnesAreNot() throws Exception {
    Answer js = get(node.managementPort(), "/console/assets/console.js", null, null);
    assertThat(js.status()).isEqualTo(200);
    assertThat(js.contentType()).startsWith("application/javascript");
    assertThat(get(node.managementPort(), "/console/assets/..%2Fconsole", null, null).status()).isEqualTo(404);
  }

  @Test
  void withoutAManagementTokenOnlyLoopbackCallersGetIn() throws Exception {
    Vertx vertx = node.client();
    for (boolean loopback : new boolean[] {true, false}) {
      ConsoleFeed feed = new ConsoleFeed(vertx, "solo", new SimpleMeterRegistry(), JsonArray::new, null, null);
      ConsoleAccess access = new ConsoleAccess(false, h -> false, null);
      Router router = Router.router(vertx);
      new ConsoleRoutes(access, feed, address -> loopback).mount(router);
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
      try {
        int expected = loopback ? 200 : 403;
        for (String path : List.of("/console", "/console/feed", "/console/snapshot")) {
          assertThat(get(server.actualPort(), path, null, null).status()).as(path + " loopback " + loopback)
              .isEqualTo(expected);
        }
      } finally {
        server.close().await();
      }
    }
  }

  @AfterAll
  static void close() {
    http.close();
  }
}
