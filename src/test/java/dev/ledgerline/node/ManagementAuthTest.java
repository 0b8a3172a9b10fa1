package dev.ledgerline.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.LedgerlineConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import dev.ledgerline.testing.FreePorts;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** management.auth: which configurations start, and what each endpoint answers with and without the token. */
@ExtendWith(VertxExtension.class)
class ManagementAuthTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";
  private static Vertx vertx;
  private static WebClient web;
  private static ManagementServer guarded;
  private static ManagementServer open;
  private static int guardedPort;
  private static int openPort;

  @BeforeAll
  static void start(Vertx shared) {
    vertx = shared;
    web = WebClient.create(vertx);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    guardedPort = FreePorts.next();
    openPort = FreePorts.next();
    guarded = new ManagementServer(vertx).check("db", () -> Future.succeededFuture(new JsonObject().put("mode", "x")));
    guarded.listen("127.0.0.1", guardedPort, registry, auth("127.0.0.1", TOKEN, "")).await();
    open = new ManagementServer(vertx).check("db", () -> Future.succeededFuture(new JsonObject()));
    open.listen("127.0.0.1", openPort, registry, auth("127.0.0.1", "", "")).await();
  }

  private static ManagementAuth auth(String host, String token, String file) {
    return ManagementAuth.from(new LedgerlineConfig.Management(host, 9090, token, file));
  }

  /** host | token | refused with a message containing (null = starts) | token required. */
  static Stream<Arguments> configurations() {
    return Stream.of(
        Arguments.of("127.0.0.1", "", null, false),
        Arguments.of("localhost", "", null, false),
        Arguments.of("::1", "", null, false),
        Arguments.of("0.0.0.0", "", "management.host = \"0.0.0.0\" is not a loopback address", false),
        Arguments.of("10.1.2.3", "", "management.auth.token or management.auth.token-file is required", false),
        Arguments.of("0.0.0.0", TOKEN, null, true),
        Arguments.of("127.0.0.1", TOKEN, null, true),
        Arguments.of("0.0.0.0", "short-token", "at least 16 are required", false));
  }

  @ParameterizedTest(name = "host {0}, token \"{1}\"")
  @MethodSource("configurations")
  void whichConfigurationsStart(String host, String token, String refusal, boolean required) {
    if (refusal != null) {
      assertThatThrownBy(() -> auth(host, token, "")).isInstanceOf(NodeRefusedException.class)
          .hasMessageContaining(refusal);
    } else {
      assertThat(auth(host, token, "").required()).isEqualTo(required);
    }
  }

  @Test
  void theTokenCanComeFromAFileButNotFromBothPlaces(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("token");
    Files.writeString(file, TOKEN + "\n");
    ManagementAuth fromFile = auth("0.0.0.0", "", file.toString());
    assertThat(fromFile.check("Bearer " + TOKEN)).isEqualTo(ManagementAuth.Verdict.VALID);
    assertThatThrownBy(() -> auth("0.0.0.0", TOKEN, file.toString())).isInstanceOf(NodeRefusedException.class)
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> auth("0.0.0.0", "", dir.resolve("missing").toString()))
        .isInstanceOf(NodeRefusedException.class).hasMessageContaining("cannot be read");
  }

  /** path | Authorization header | status | body holds the checks' detail. */
  static Stream<Arguments> guardedAnswers() {
    return Stream.of(
        Arguments.of("/health/live", null, 200, false),
        Arguments.of("/health/ready", null, 200, false),
        Arguments.of("/health/ready", "Bearer " + TOKEN, 200, true),
        Arguments.of("/health/ready", "Bearer wrong-token-wrong-token", 401, false),
        Arguments.of("/metrics", null, 401, false),
        Arguments.of("/metrics", "Bearer wrong-token-wrong-token", 401, false),
        Arguments.of("/metrics", "Basic " + TOKEN, 401, false),
        Arguments.of("/metrics", "Bearer " + TOKEN, 200, false));
  }

  @ParameterizedTest(name = "{0} with {1}")
  @MethodSource("guardedAnswers")
  void withATokenOnlyLivenessAndTheReadyStatusAreOpen(String path, String authorization, int status,
      boolean detail) {
    var request = web.get(guardedPort, "127.0.0.1", path);
    if (authorization != null) {
      request.putHeader("Authorization", authorization);
    }
    HttpResponse<Buffer> response = request.send().await();
    assertThat(response.statusCode()).isEqualTo(status);
    String body = String.valueOf(response.bodyAsString());
    if (detail) {
      assertThat(new JsonObject(body).getJsonArray("checks")).isNotEmpty();
      assertThat(body).contains("\"mode\"");
    } else {
      assertThat(body).doesNotContain("\"mode\"");
    }
    if (path.equals("/health/ready") && status == 200 && !detail) {
      assertThat(new JsonObject(body)).isEqualTo(new JsonObject().put("status", "UP"));
    }
    if (status == 401) {
      assertThat(response.getHeader("WWW-Authenticate")).startsWith("Bearer");
    }
  }

  @Test
  void withoutTheTokenADownNodeSaysOnlyDown() {
    int port = FreePorts.next();
    new ManagementServer(vertx).check("db", () -> Future.failedFuture("secret detail: db at 10.0.0.5 refused"))
        .listen("127.0.0.1", port, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), auth("0.0.0.0", TOKEN, ""))
        .await();
    HttpResponse<Buffer> bare = web.get(port, "127.0.0.1", "/health/ready").send().await();
    assertThat(bare.statusCode()).isEqualTo(503);
    assertThat(bare.bodyAsJsonObject()).isEqualTo(new JsonObject().put("status", "DOWN"));
    HttpResponse<Buffer> detailed = web.get(port, "127.0.0.1", "/health/ready")
        .putHeader("Authorization", "Bearer " + TOKEN).send().await();
    assertThat(detailed.statusCode()).isEqualTo(503);
    assertThat(detailed.bodyAsString()).contains("secret detail");
  }

  @Test
  void withoutATokenOnLoopbackEverythingIsOpen() {
    assertThat(web.get(openPort, "127.0.0.1", "/metrics").send().await().statusCode()).isEqualTo(200);
    assertThat(web.get(openPort, "127.0.0.1", "/health/ready").send().await().bodyAsJsonObject()
        .getJsonArray("checks")).isNotEmpty();
  }
}
