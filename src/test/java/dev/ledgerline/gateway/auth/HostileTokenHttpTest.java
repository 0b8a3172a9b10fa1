package dev.ledgerline.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile tokens over HTTP and on the stream's handshake: each one is a 401 (problem+json on the API), never a 500 or
 * a handshake left unanswered, whether it is unsigned, forged or validly signed with malformed claims.
 */
class HostileTokenHttpTest {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      // Every refused request may be charged to the client's address: this test is about the 401, not the 429.
      .rateLimits("{\"default\":{\"capacity\":100000,\"refill-per-second\":100000},"
          + "\"unauthenticated\":{\"capacity\":100000,\"refill-per-second\":100000}}").build();
  private static SigningKey signer;
  private static WebClient web;
  private static WebSocketClient ws;

  @BeforeAll
  static void start() {
    signer = SigningKey.load(node.tokens().settings());
    web = WebClient.create(node.client());
    ws = node.client().createWebSocketClient();
  }

  private static JsonObject validClaims() {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("iss", "ledgerline").put("aud", "ledgerline-api").put("sub", "mallory")
        .put("roles", new io.vertx.core.json.JsonArray().add("user")).put("jti", java.util.UUID.randomUUID().toString())
        .put("iat", now).put("exp", now + 600);
  }

  /** Valid claims with one member replaced by raw JSON. */
  private static String claims(String name, String raw) {
    JsonObject rest = validClaims();
    rest.remove(name);
    return "{\"" + name + "\":" + raw + "," + rest.encode().substring(1);
  }

  private static String part(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String signed(String claimsJson) {
    String input = part(new JsonObject().put("alg", signer.algorithm()).put("typ", "JWT").put("kid", signer.kid())
        .encode()) + "." + part(claimsJson);
    return input + "." + B64.encodeToString(JwtSigner.signature(signer.algorithm(),
        input.getBytes(StandardCharsets.US_ASCII), signer.key()));
  }

  private static String forged(String claimsJson) {
    return part("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + part(claimsJson) + "." + B64.encodeToString(new byte[256]);
  }

  private static String unsigned(String claimsJson) {
    return part("{\"alg\":\"none\"}") + "." + part(claimsJson) + ".";
  }

  static Stream<Arguments> hostile() {
    return Stream.of(
        // name, token
        Arguments.of("unsigned, exp 99999999999999999", unsigned(claims("exp", "99999999999999999"))),
        Arguments.of("forged, exp 99999999999999999", forged(claims("exp", "99999999999999999"))),
        Arguments.of("forged, exp -1", forged(claims("exp", "-1"))),
        Arguments.of("forged, nbf 1e300", forged(claims("nbf", "1e300"))),
        Arguments.of("forged, iat as text", forged(claims("iat", "\"yesterday\""))),
        Arguments.of("signed, exp 99999999999999999", signed(claims("exp", "99999999999999999"))),
        Arguments.of("signed, exp -5", signed(claims("exp", "-5"))),
        Arguments.of("signed, exp 1.7976931348623157e308", signed(claims("exp", "1.7976931348623157e308"))),
        Arguments.of("signed, exp as text", signed(claims("exp", "\"2030-01-01\""))),
        Arguments.of("signed, iat 99999999999999999", signed(claims("iat", "99999999999999999"))),
        Arguments.of("signed, nbf -99999999999999999", signed(claims("nbf", "-99999999999999999"))),
        Arguments.of("signed, sub with NUL", signed(claims("sub", "\"mal\\u0000lory\""))),
        Arguments.of("signed, sub with a line break", signed(claims("sub", "\"mal\\nlory\""))),
        Arguments.of("signed, sub of 300 characters", signed(claims("sub", "\"" + "m".repeat(300) + "\""))),
        Arguments.of("signed, jti with NUL", signed(claims("jti", "\"id\\u0000\""))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void refusedWith401OnTheApi(String name, String token) {
    HttpResponse<Buffer> r = web.post(node.gatewayPort(), "127.0.0.1", "/v1/accounts")
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"ledger\":1,\"code\":1}"))
        .await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(401);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void refusedWith401OnTheStreamHandshake(String name, String token) throws Exception {
    Future<WebSocket> f = ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.gatewayPort())
        .setURI("/v1/stream?access_token=" + token)
        // Vert.x would add an Origin of its own; without one the client is a non-browser client.
        .setAllowOriginHeader(false));
    // A deadline, not a sleep: an unanswered handshake fails the test instead of hanging it.
    Throwable err = f.transform(ar -> Future.succeededFuture(ar.cause())).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertThat(err).as("handshake refused").isInstanceOf(UpgradeRejectedException.class);
    assertThat(((UpgradeRejectedException) err).getStatus()).isEqualTo(401);
  }
}
