package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.providers.sandbox.PlaidSandbox;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code POST /v1/provider-webhooks/plaid} over real HTTP on one gateway node with its embedded sandbox: a webhook the
 * sandbox signed is accepted once and handed to the transactions side; every forgery (no header, tampered body, a
 * key of our own under the sandbox's kid, an old iat, a replay) is a 401 that hands nothing on; garbage is a 4xx
 * problem+json, never a 500. Every answer is checked against /openapi.json.
 */
class ProviderWebhookApiTest {
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final String UPDATE = new JsonObject().put("webhook_type", "TRANSFER")
      .put("webhook_code", "TRANSFER_EVENTS_UPDATE").put("environment", "sandbox").encodePrettily();

  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();

  private static ApiClient api;
  private static WebClient web;
  private static PlaidSandbox sandbox;
  private static final AtomicInteger handedOn = new AtomicInteger();
  private static MessageConsumer<JsonObject> listener;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    web = WebClient.create(node.client());
    sandbox = node.get().providers().sandbox().orElseThrow();
    listener = node.get().vertx().eventBus().<JsonObject>consumer(ProviderWebhookRoutes.TRANSFER_EVENTS_ADDRESS,
        m -> handedOn.incrementAndGet());
    listener.completion().await();
  }

  @AfterAll
  static void stop() {
    listener.unregister().await();
  }

  private static Answer deliver(String signature, String body) {
    HttpRequest<Buffer> req = web.request(HttpMethod.POST, node.gatewayPort(), "127.0.0.1",
        ProviderWebhookRoutes.PATH).putHeader("Content-Type", "application/json");
    if (signature != null) {
      req.putHeader(ProviderWebhookRoutes.HEADER, signature);
    }
    HttpResponse<Buffer> r = req.sendBuffer(Buffer.buffer(body)).await();
    Answer a = new Answer(r.statusCode(), r.headers(), r.body() == null ? Buffer.buffer() : r.body());
    api.conforms(HttpMethod.POST, ProviderWebhookRoutes.PATH, a);
    return a;
  }

  private static String signed(String body) {
    return sandbox.signWebhook(body.getBytes(StandardCharsets.UTF_8));
  }

  /** A JWT in Plaid's shape under {@code kid}, signed with a key that is not the provider's. */
  private static String forged(String kid, long iat, String body) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair keys = g.generateKeyPair();
    String header = b64(new JsonObject().put("alg", "ES256").put("kid", kid).put("typ", "JWT").encode());
    String claims = b64(new JsonObject().put("iat", iat).put("request_body_sha256", HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8)))).encode());
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(keys.getPrivate());
    s.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
    return header + "." + claims + "." + B64URL.encodeToString(s.sign());
  }

  private static String b64(String s) {
    return B64URL.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String kidOf(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8))
        .getString("kid");
  }

  @Test
  void aSignedWebhookIsAcceptedOnceAndHandedOn() {
    String signature = signed(UPDATE);
    int before = handedOn.get();
    Answer first = deliver(signature, UPDATE);
    assertThat(first.status()).as(first.raw().toString()).isEqualTo(200);
    dev.ledgerline.testing.Poll.until(java.time.Duration.ofSeconds(5), "the update is handed on",
        () -> handedOn.get() == before + 1);

    Answer replay = deliver(signature, UPDATE);
    assertThat(replay.status()).isEqualTo(401);
    assertThat(replay.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(replay.json().getString("type")).isEqualTo(ProviderWebhookRoutes.TYPE_SIGNATURE);
    // The signature's text has other forms that verify (base64 padding, ECDSA's n - s): still the same webhook.
    String[] jwt = signature.split("\\.");
    byte[] sig = Base64.getUrlDecoder().decode(jwt[2]);
    java.math.BigInteger n = new java.math.BigInteger(
        "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
    byte[] flippedS = n.subtract(new java.math.BigInteger(1, java.util.Arrays.copyOfRange(sig, 32, 64)))
        .add(java.math.BigInteger.ONE.shiftLeft(256)).toByteArray(); // 2^256 on top: the low 32 bytes, zero-padded
    byte[] other = java.util.Arrays.copyOf(sig, 64);
    System.arraycopy(flippedS, flippedS.length - 32, other, 32, 32);
    for (String variant : List.of(signature + "==", jwt[0] + "." + jwt[1] + "." + B64URL.encodeToString(other))) {
      Answer again = deliver(variant, UPDATE);
      assertThat(again.status()).as(again.raw().toString()).isEqualTo(401);
      assertThat(again.raw().toString()).contains("already delivered");
    }
    // A fresh signature of the same update is a new delivery (the provider does retry with new JWTs).
    assertThat(deliver(signed(UPDATE), UPDATE).status()).isEqualTo(200);
    dev.ledgerline.testing.Poll.until(java.time.Duration.ofSeconds(5), "the second update is handed on",
        () -> handedOn.get() == before + 2);
  }

  @Test
  void everyForgeryIsRefusedAndHandsNothingOn() throws Exception {
    String real = signed(UPDATE);
    String kid = kidOf(real);
    long now = Instant.now().getEpochSecond();
    String tampered = UPDATE.replace("sandbox", "production");
    Map<String, Map.Entry<String, String>> cases = new LinkedHashMap<>();
    cases.put("unsigned", Map.entry("", UPDATE));
    cases.put("not a JWT", Map.entry("abc.def", UPDATE));
    cases.put("tampered body", Map.entry(real, tampered));
    cases.put("our own key under the provider's kid", Map.entry(forged(kid, now, UPDATE), UPDATE));
    cases.put("an unknown kid", Map.entry(forged("not-a-key", now, UPDATE), UPDATE));
    cases.put("issued ten minutes ago", Map.entry(forged(kid, now - 600, UPDATE), UPDATE));
    cases.put("issued ten minutes ahead", Map.entry(forged(kid, now + 600, UPDATE), UPDATE));
    int before = handedOn.get();
    for (var c : cases.entrySet()) {
      Answer a = deliver(c.getValue().getKey().isEmpty() ? null : c.getValue().getKey(), c.getValue().getValue());
      assertThat(a.status()).as(c.getKey() + ": " + a.raw()).isEqualTo(401);
      assertThat(a.header("Content-Type")).as(c.getKey()).isEqualTo("application/problem+json");
    }
    // The genuine webhook was never consumed by the refusals (they are not remembered), and nothing was handed on.
    assertThat(handedOn.get()).isEqualTo(before);
    assertThat(deliver(real, UPDATE).status()).isEqualTo(200);
  }

  @Test
  void garbageIsAProblemNeverA500() {
    Map<String, String> verified = new LinkedHashMap<>();
    verified.put("not JSON", "{{{");
    verified.put("an array", "[1,2]");
    verified.put("a string", "\"x\"");
    verified.put("empty", "");
    verified.put("no webhook_code", "{\"webhook_type\":\"TRANSFER\"}");
    verified.put("webhook_code not a string", "{\"webhook_type\":\"TRANSFER\",\"webhook_code\":7}");
    int before = handedOn.get();
    for (var c : verified.entrySet()) {
      Answer a = deliver(signed(c.getValue()), c.getValue());
      assertThat(a.status()).as(c.getKey() + ": " + a.raw()).isEqualTo(400);
      assertThat(a.header("Content-Type")).as(c.getKey()).isEqualTo("application/problem+json");
    }
    // Unsigned garbage is refused before it is read; an over-long body is refused before it is buffered whole.
    assertThat(deliver(null, "\u0000\u0001garbage").status()).isEqualTo(401);
    Answer huge = deliver(null, "{\"a\":\"" + "x".repeat(40_000) + "\"}");
    assertThat(huge.status()).isEqualTo(413);
    assertThat(huge.header("Content-Type")).isEqualTo("application/problem+json");
    // A verified webhook of another kind is acknowledged and ignored.
    String other = "{\"webhook_type\":\"ITEM\",\"webhook_code\":\"WEBHOOK_UPDATE_ACKNOWLEDGED\"}";
    assertThat(deliver(signed(other), other).status()).isEqualTo(200);
    assertThat(handedOn.get()).isEqualTo(before);
  }
}
