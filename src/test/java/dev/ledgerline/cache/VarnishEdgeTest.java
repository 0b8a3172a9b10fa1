package dev.ledgerline.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.routes.InstitutionRoutes;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestData;
import dev.ledgerline.testing.Tokens;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code conf/varnish/ledgerline.vcl} in a real varnishd in front of a test node: public catalog answers are hits,
 * answers tied to a caller are never cached, and the node's BAN (on a reload) drops what it names. Skipped when
 * varnishd is not on PATH.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VarnishEdgeTest {
  private static final String TOKEN = "varnish-purge-token-3f9c";
  private static Process varnish;
  private static int varnishPort;
  private static ConfigService config;

  @RegisterExtension
  static final NodeExtension nodes = NodeExtension.nodes();

  private static boolean varnishdAvailable() {
    try {
      Process p = new ProcessBuilder("varnishd", "-V").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @BeforeAll
  static void start() throws IOException {
    if (!varnishdAvailable()) {
      String why = "varnishd is not on PATH (install the Debian package varnish to run the Varnish edge test)";
      // Printed as well: a class skipped in @BeforeAll shows no reason in the console summary.
      System.out.println("VarnishEdgeTest skipped: " + why);
      Assumptions.abort(why);
    }
    int gatewayPort = FreePorts.next();
    varnishPort = FreePorts.next();
    Path dir = TestData.tempRoot("ledgerline-test-varnish");
    String vcl = Files.readString(Path.of("conf/varnish/ledgerline.vcl"), StandardCharsets.UTF_8)
        .replace(".port = \"8080\"", ".port = \"" + gatewayPort + "\"").replace("CHANGE-ME", TOKEN);
    Path vclFile = dir.resolve("ledgerline.vcl");
    Files.writeString(vclFile, vcl);
    varnish = new ProcessBuilder("varnishd", "-F", "-j", "none", "-n", dir.resolve("work").toString(),
        "-a", "127.0.0.1:" + varnishPort, "-T", "127.0.0.1:0", "-f", vclFile.toAbsolutePath().toString(),
        "-s", "malloc,32m").redirectErrorStream(true).redirectOutput(dir.resolve("varnishd.log").toFile()).start();
    config = NodeExtension.configWith(Map.of("node.roles", "gateway", "gateway.port", String.valueOf(gatewayPort),
        "gateway.rate-limits", NodeExtension.RATE_LIMITS_NEVER_BIND,
        "cache.edge.purge-url", "http://127.0.0.1:" + varnishPort + "/",
        "cache.edge.purge-token", TOKEN));
    nodes.start(config);
    Poll.until(Duration.ofSeconds(30), "varnishd answers", () -> {
      try {
        return get("/openapi.json", null).statusCode() == 200;
      } catch (RuntimeException e) {
        return false;
      }
    });
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (varnish != null) {
      varnish.destroy();
      if (!varnish.waitFor(10, TimeUnit.SECONDS)) {
        varnish.destroyForcibly();
      }
    }
  }

  private static HttpResponse<Buffer> get(String path, String token) {
    var req = WebClient.create(nodes.client()).get(varnishPort, "127.0.0.1", path);
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    return req.send().await();
  }

  private static HttpResponse<Buffer> ban(String keys, String token) {
    return WebClient.create(nodes.client()).request(HttpMethod.valueOf("BAN"), varnishPort, "127.0.0.1", "/")
        .putHeader("Surrogate-Key", keys).putHeader("X-Purge-Token", token).send().await();
  }

  @Test
  @Order(1)
  void aPublicCatalogAnswerIsAHit() {
    String path = InstitutionRoutes.PATH + "?count=2";
    HttpResponse<Buffer> first = get(path, null);
    assertThat(first.statusCode()).isEqualTo(200);
    HttpResponse<Buffer> second = get(path, null);
    assertThat(second.getHeader("X-Cache")).isEqualTo("HIT");
    assertThat(second.bodyAsString()).isEqualTo(first.bodyAsString());
    assertThat(second.getHeader("Cache-Control")).startsWith("public, ");
    assertThat(get("/openapi.json", null).getHeader("X-Cache")).isEqualTo("HIT");
  }

  @Test
  @Order(2)
  void answersTiedToACallerAreNeverCached() {
    String token = Tokens.of(config).issue("varnish-reader", Role.USER);
    for (String path : List.of(InstitutionRoutes.PATH + "?count=2", "/openapi.json", "/v1/accounts/1",
        "/v1/payments")) {
      for (int i = 0; i < 2; i++) {
        HttpResponse<Buffer> r = get(path, token);
        assertThat(r.getHeader("X-Cache")).as(path).isEqualTo("MISS");
        assertThat(r.getHeader("Cache-Control")).as(path).doesNotContain("public");
      }
    }
    // Without a token, a refused answer is not public either, and is not kept.
    get("/v1/accounts/1", null);
    assertThat(get("/v1/accounts/1", null).getHeader("X-Cache")).isEqualTo("MISS");
  }

  @Test
  @Order(3)
  void aBanNeedsTheTokenAndAReloadBansTheCatalog() {
    String path = InstitutionRoutes.PATH + "?count=2";
    get(path, null);
    assertThat(ban("institutions", "wrong").statusCode()).isEqualTo(403);
    assertThat(get(path, null).getHeader("X-Cache")).isEqualTo("HIT");
    config.reload(new JsonObject().put("cache",
        new JsonObject().put("edge", new JsonObject().put("stale-while-revalidate", "30s"))));
    Poll.until(Duration.ofSeconds(10), "the node's BAN drops the catalog",
        () -> "MISS".equals(get(path, null).getHeader("X-Cache")));
    HttpResponse<Buffer> fresh = get(path, null);
    assertThat(fresh.getHeader("X-Cache")).isEqualTo("HIT");
    assertThat(fresh.getHeader("Cache-Control")).contains("stale-while-revalidate=30");
  }
}
