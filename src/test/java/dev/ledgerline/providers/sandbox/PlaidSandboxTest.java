package dev.ledgerline.providers.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.Poll;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Plaid-compatible sandbox over real HTTP: credentials, Plaid's shapes and error objects, idempotency, settlement
 * with a webhook whose signature is verified here independently (raw JCA: the JWK rebuilt into a key, the JWS r||s
 * signature re-encoded as DER for the plain {@code SHA256withECDSA} verifier), and the fault API's exact shapes.
 */
class PlaidSandboxTest {
  private static final String ID = "test-client";
  private static final String SECRET = "test-secret-value";
  private static Vertx vertx;
  private static PlaidSandbox sandbox;
  private static HttpServer hooks;
  private static WebClient web;
  private static final ConcurrentLinkedQueue<Map.Entry<String, Buffer>> received = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    hooks = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(Map.entry(String.valueOf(req.getHeader("Plaid-Verification")), body));
      req.response().end();
    })).listen(0, "127.0.0.1").await();
    sandbox = PlaidSandbox.start(vertx, new SandboxSettings("127.0.0.1", 0, ID, SECRET, Duration.ofMillis(300),
        "http://127.0.0.1:" + hooks.actualPort() + "/hooks")).await();
    web = WebClient.create(vertx);
  }

  @AfterAll
  static void stop() {
    sandbox.close().await();
    vertx.close().await();
  }

  @BeforeEach
  void noFaults() {
    web.deleteAbs(sandbox.baseUrl() + "/sandbox/faults").send().await();
  }

  @Test
  void credentialsAreChecked() {
    HttpResponse<Buffer> none = raw("/institutions/get", institutions());
    assertError(none, 400, "INVALID_REQUEST", "MISSING_FIELDS");
    HttpResponse<Buffer> wrong = raw("/institutions/get", institutions().put("client_id", ID).put("secret", "nope"));
    assertError(wrong, 400, "INVALID_INPUT", "INVALID_API_KEYS");
    HttpResponse<Buffer> otherId = raw("/institutions/get", institutions().put("client_id", "x").put("secret", SECRET));
    assertError(otherId, 400, "INVALID_INPUT", "INVALID_API_KEYS");
    HttpResponse<Buffer> headers = web.postAbs(sandbox.baseUrl() + "/institutions/get").putHeader("PLAID-CLIENT-ID", ID)
        .putHeader("PLAID-SECRET", SECRET).sendJsonObject(institutions()).await();
    assertThat(headers.statusCode()).isEqualTo(200);
    JsonObject ok = call("/institutions/get", institutions());
    assertThat(ok.getInteger("total")).isEqualTo(5);
    assertThat(ok.getJsonArray("institutions").getJsonObject(0).fieldNames())
        .contains("institution_id", "name", "products", "country_codes");
    assertThat(ok.getString("request_id")).isNotEmpty();
  }

  @Test
  void linkingGivesAnItemWithAccountsInPlaidsShape() {
    JsonObject link = call("/link/token/create", new JsonObject().put("client_name", "Ledgerline").put("language", "en")
        .put("country_codes", new JsonArray().add("US")).put("user", new JsonObject().put("client_user_id", "u1"))
        .put("products", new JsonArray().add("transfer")));
    assertThat(link.getString("link_token")).startsWith("link-sandbox-");
    String publicToken = publicToken();
    JsonObject exchanged = call("/item/public_token/exchange", new JsonObject().put("public_token", publicToken));
    assertThat(exchanged.getString("access_token")).startsWith("access-sandbox-");
    assertThat(exchanged.getString("item_id")).isNotEmpty();
    assertError(raw("/item/public_token/exchange", creds().put("public_token", publicToken)), 400, "INVALID_INPUT",
        "INVALID_PUBLIC_TOKEN");
    JsonObject accounts = call("/accounts/balance/get", new JsonObject().put("access_token",
        exchanged.getString("access_token")));
    JsonObject checking = accounts.getJsonArray("accounts").getJsonObject(0);
    assertThat(checking.fieldNames()).contains("account_id", "balances", "mask", "name", "official_name", "subtype",
        "type");
    assertThat(checking.getJsonObject("balances").fieldNames()).contains("available", "current", "limit",
        "iso_currency_code", "unofficial_currency_code");
    assertThat(accounts.getJsonObject("item").getString("item_id")).isEqualTo(exchanged.getString("item_id"));
    assertError(raw("/accounts/get", creds().put("access_token", "access-sandbox-unknown")), 400, "INVALID_INPUT",
        "INVALID_ACCESS_TOKEN");
  }

  @Test
  void authorizationsAndTransfersHonourIdempotencyKeys() {
    Item item = item();
    JsonObject a1 = authorize(item, "10.00", "pay-1").getJsonObject("authorization");
    JsonObject a2 = authorize(item, "10.00", "pay-1").getJsonObject("authorization");
    assertThat(a1.getString("decision")).isEqualTo("approved");
    assertThat(a2.getString("id")).isEqualTo(a1.getString("id"));
    JsonObject t1 = create(item, a1.getString("id"), "pay-1").getJsonObject("transfer");
    JsonObject t2 = create(item, a1.getString("id"), "pay-1").getJsonObject("transfer");
    JsonObject t3 = create(item, a1.getString("id"), null).getJsonObject("transfer");
    assertThat(t2.getString("id")).isEqualTo(t1.getString("id"));
    assertThat(t3.getString("id")).as("one transfer per authorization").isEqualTo(t1.getString("id"));
    JsonObject other = authorize(item, "1.00", "pay-2").getJsonObject("authorization");
    assertError(raw("/transfer/create", creds().put("access_token", item.token).put("account_id", item.account)
            .put("authorization_id", other.getString("id")).put("description", "x").put("idempotency_key", "pay-1")),
        400, "INVALID_REQUEST", "INVALID_FIELD");
    JsonObject declined = authorize(item, "1000.00", "pay-3").getJsonObject("authorization");
    assertThat(declined.getString("decision")).isEqualTo("declined");
    assertThat(declined.getJsonObject("decision_rationale").getString("code")).isEqualTo("NSF");
  }

  @Test
  void aTransferSettlesAndTheSignedWebhookVerifiesIndependently() throws Exception {
    received.clear();
    Item item = item();
    String auth = authorize(item, "25.00", "settle-1").getJsonObject("authorization").getString("id");
    JsonObject t = create(item, auth, "settle-1").getJsonObject("transfer");
    assertThat(t.getString("status")).isEqualTo("pending");
    assertThat(t.getBoolean("cancellable")).isTrue();
    Poll.until(Duration.ofSeconds(10), "the settlement webhook arrives", () -> !received.isEmpty());
    JsonObject settled = call("/transfer/get", new JsonObject().put("transfer_id", t.getString("id")))
        .getJsonObject("transfer");
    assertThat(settled.getString("status")).isEqualTo("settled");
    assertThat(settled.getBoolean("cancellable")).isFalse();
    assertError(raw("/transfer/cancel", creds().put("transfer_id", t.getString("id"))), 400, "TRANSFER_ERROR",
        "TRANSFER_NOT_CANCELLABLE");
    JsonObject balance = call("/accounts/get", new JsonObject().put("access_token", item.token))
        .getJsonArray("accounts").getJsonObject(0).getJsonObject("balances");
    assertThat(balance.getDouble("available")).isEqualTo(75.0);
    List<String> events = call("/transfer/event/sync", new JsonObject().put("after_id", 0).put("count", 500))
        .getJsonArray("transfer_events").stream().map(JsonObject.class::cast)
        .filter(e -> e.getString("transfer_id").equals(t.getString("id"))).map(e -> e.getString("event_type")).toList();
    assertThat(events).containsExactly("pending", "settled");

    Map.Entry<String, Buffer> hook = received.poll();
    JsonObject body = new JsonObject(hook.getValue());
    assertThat(body.getString("webhook_type")).isEqualTo("TRANSFER");
    assertThat(body.getString("webhook_code")).isEqualTo("TRANSFER_EVENTS_UPDATE");
    String[] jwt = hook.getKey().split("\\.");
    assertThat(jwt).hasSize(3);
    JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(jwt[0]), StandardCharsets.UTF_8));
    assertThat(header.getString("alg")).isEqualTo("ES256");
    JsonObject key = call("/webhook_verification_key/get", new JsonObject().put("key_id", header.getString("kid")))
        .getJsonObject("key");
    assertThat(key.getString("kty")).isEqualTo("EC");
    assertThat(key.getString("crv")).isEqualTo("P-256");
    assertThat(verifyEs256(key, jwt[0] + "." + jwt[1], Base64.getUrlDecoder().decode(jwt[2]))).isTrue();
    byte[] forged = Base64.getUrlDecoder().decode(jwt[2]);
    forged[5] ^= 1;
    assertThat(verifyEs256(key, jwt[0] + "." + jwt[1], forged)).isFalse();
    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(jwt[1]), StandardCharsets.UTF_8));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(hook.getValue().getBytes()));
    assertThat(claims.getString("request_body_sha256")).isEqualTo(sha);
    assertThat(Math.abs(claims.getLong("iat") - Instant.now().getEpochSecond())).isLessThan(300);
    assertError(raw("/webhook_verification_key/get", creds().put("key_id", "unknown")), 400, "INVALID_INPUT",
        "INVALID_WEBHOOK_VERIFICATION_KEY_ID");
  }

  /**
   * {@code /transfer/authorization/cancel}: an unused approved authorization is cancelled and no transfer can be made
   * of it afterwards, even under its own idempotency key; a used one cannot be cancelled, and its transfer stands.
   */
  @Test
  void anUnusedAuthorizationIsCancelledForGoodAndAUsedOneIsNot() {
    Item item = item();
    String unused = authorize(item, "4.00", "auth-cancel-1").getJsonObject("authorization").getString("id");
    assertThat(call("/transfer/authorization/cancel", new JsonObject().put("authorization_id", unused)).fieldNames())
        .contains("request_id");
    assertThat(call("/transfer/authorization/cancel", new JsonObject().put("authorization_id", unused)).fieldNames())
        .as("cancelling it again changes nothing").contains("request_id");
    assertError(raw("/transfer/create", creds().put("access_token", item.token).put("account_id", item.account)
            .put("authorization_id", unused).put("description", "payment").put("idempotency_key", "auth-cancel-1")),
        400, "TRANSFER_ERROR", "TRANSFER_AUTHORIZATION_CANCELLED");

    String used = authorize(item, "4.00", "auth-cancel-2").getJsonObject("authorization").getString("id");
    String transfer = create(item, used, "auth-cancel-2").getJsonObject("transfer").getString("id");
    assertError(raw("/transfer/authorization/cancel", creds().put("authorization_id", used)), 400, "TRANSFER_ERROR",
        "TRANSFER_AUTHORIZATION_NOT_CANCELLABLE");
    assertThat(create(item, used, "auth-cancel-2").getJsonObject("transfer").getString("id")).isEqualTo(transfer);

    String declined = authorize(item, "1000.00", "auth-cancel-3").getJsonObject("authorization").getString("id");
    assertError(raw("/transfer/authorization/cancel", creds().put("authorization_id", declined)), 400,
        "TRANSFER_ERROR", "TRANSFER_AUTHORIZATION_NOT_CANCELLABLE");
    assertError(raw("/transfer/authorization/cancel", creds().put("authorization_id", "unknown")), 400,
        "INVALID_INPUT", "INVALID_AUTHORIZATION_ID");
  }

  /**
   * {@code /transfer/refund/create}: a settled debit is refunded at most up to its amount, once per idempotency key
   * (the key again answers the same refund; with another amount it is refused); the refund settles, its events say
   * {@code refund.*}, and its amount goes back to the account. A cancelled transfer cannot be refunded.
   */
  @Test
  void aSettledDebitIsRefundedOncePerKeyAndNoMoreThanItsAmount() {
    Item item = item();
    String auth = authorize(item, "20.00", "refund-1").getJsonObject("authorization").getString("id");
    String id = create(item, auth, "refund-1").getJsonObject("transfer").getString("id");
    Poll.until(Duration.ofSeconds(10), "the transfer settles", () -> "settled".equals(call("/transfer/get",
        new JsonObject().put("transfer_id", id)).getJsonObject("transfer").getString("status")));
    double before = available(item);

    JsonObject refund = refund(id, "15.00", "refund-1-r").getJsonObject("refund");
    assertThat(refund.getString("status")).isEqualTo("pending");
    assertThat(refund(id, "15.00", "refund-1-r").getJsonObject("refund").getString("id"))
        .isEqualTo(refund.getString("id"));
    assertError(raw("/transfer/refund/create", creds().put("transfer_id", id).put("amount", "1.00")
        .put("idempotency_key", "refund-1-r")), 400, "INVALID_REQUEST", "INVALID_FIELD");
    assertError(raw("/transfer/refund/create", creds().put("transfer_id", id).put("amount", "5.01")
        .put("idempotency_key", "refund-1-more")), 400, "TRANSFER_ERROR", "TRANSFER_REFUND_EXCEEDS_AMOUNT");
    assertError(raw("/transfer/refund/create", creds().put("transfer_id", id).put("amount", "5.00")),
        400, "INVALID_REQUEST", "MISSING_FIELDS");

    Poll.until(Duration.ofSeconds(10), "the refund settles", () -> "settled".equals(call("/transfer/refund/get",
        new JsonObject().put("refund_id", refund.getString("id"))).getJsonObject("refund").getString("status")));
    assertThat(available(item)).isEqualTo(before + 15.0);
    JsonObject transfer = call("/transfer/get", new JsonObject().put("transfer_id", id)).getJsonObject("transfer");
    assertThat(transfer.getString("status")).isEqualTo("settled");
    assertThat(transfer.getJsonArray("refunds")).hasSize(1);
    List<String> events = call("/transfer/event/sync", new JsonObject().put("after_id", 0).put("count", 500))
        .getJsonArray("transfer_events").stream().map(JsonObject.class::cast)
        .filter(e -> e.getString("transfer_id").equals(id)).map(e -> e.getString("event_type")).toList();
    assertThat(events).containsExactly("pending", "settled", "refund.pending", "refund.settled");

    String cancelled = create(item, authorize(item, "2.00", "refund-2").getJsonObject("authorization")
        .getString("id"), "refund-2").getJsonObject("transfer").getString("id");
    call("/transfer/cancel", new JsonObject().put("transfer_id", cancelled));
    assertError(raw("/transfer/refund/create", creds().put("transfer_id", cancelled).put("amount", "2.00")
        .put("idempotency_key", "refund-2-r")), 400, "TRANSFER_ERROR", "TRANSFER_NOT_REFUNDABLE");
    assertError(raw("/transfer/refund/get", creds().put("refund_id", "unknown")), 400, "INVALID_INPUT",
        "REFUND_NOT_FOUND");
  }

  private static JsonObject refund(String transferId, String amount, String key) {
    return call("/transfer/refund/create", new JsonObject().put("transfer_id", transferId).put("amount", amount)
        .put("idempotency_key", key));
  }

  private static double available(Item item) {
    return call("/accounts/get", new JsonObject().put("access_token", item.token)).getJsonArray("accounts")
        .getJsonObject(0).getJsonObject("balances").getDouble("available");
  }

  @Test
  void aCancelledTransferNeverSettles() {
    Item item = item();
    String auth = authorize(item, "5.00", "cancel-1").getJsonObject("authorization").getString("id");
    String id = create(item, auth, "cancel-1").getJsonObject("transfer").getString("id");
    assertThat(call("/transfer/cancel", new JsonObject().put("transfer_id", id)).fieldNames()).contains("request_id");
    assertThat(Poll.holdsWithin(Duration.ofMillis(900), () -> !"cancelled".equals(call("/transfer/get",
        new JsonObject().put("transfer_id", id)).getJsonObject("transfer").getString("status")))).isFalse();
  }

  @Test
  void theFaultApiHasItsExactShapes() {
    JsonObject fault = new JsonObject().put("endpoint", "/accounts/balance/get").put("mode", "error").put("rate", 1.0)
        .put("latency_ms", 0).put("error_code", "INTERNAL_SERVER_ERROR");
    HttpResponse<Buffer> set = web.postAbs(sandbox.baseUrl() + "/sandbox/faults").sendJsonObject(fault).await();
    assertThat(set.statusCode()).isEqualTo(200);
    assertThat(set.bodyAsJsonObject().getJsonObject("fault")).isEqualTo(fault);
    long before = calls("/accounts/balance/get");
    Item item = item();
    assertError(raw("/accounts/balance/get", creds().put("access_token", item.token)), 500, "API_ERROR",
        "INTERNAL_SERVER_ERROR");
    assertThat(calls("/accounts/balance/get")).isEqualTo(before + 1);
    JsonObject stats = web.getAbs(sandbox.baseUrl() + "/sandbox/stats").send().await().bodyAsJsonObject();
    assertThat(stats.fieldNames()).containsExactly("calls");

    web.postAbs(sandbox.baseUrl() + "/sandbox/faults").sendJsonObject(new JsonObject()
        .put("endpoint", "/accounts/balance/get").put("mode", "error").put("error_code", "RATE_LIMIT_EXCEEDED")).await();
    assertError(raw("/accounts/balance/get", creds().put("access_token", item.token)), 429, "RATE_LIMIT_EXCEEDED",
        "RATE_LIMIT_EXCEEDED");
    web.postAbs(sandbox.baseUrl() + "/sandbox/faults").sendJsonObject(new JsonObject()
        .put("endpoint", "/accounts/balance/get").put("mode", "outage")).await();
    Throwable dropped = web.postAbs(sandbox.baseUrl() + "/accounts/balance/get")
        .sendJsonObject(creds().put("access_token", item.token)).transform(ar -> io.vertx.core.Future.succeededFuture(
            ar.cause())).await();
    assertThat(dropped).as("an outage drops the connection").isNotNull();
    web.postAbs(sandbox.baseUrl() + "/sandbox/faults").sendJsonObject(new JsonObject()
        .put("endpoint", "/transfer/authorization/create").put("mode", "decline")).await();
    assertThat(authorize(item, "1.00", "declined-1").getJsonObject("authorization").getString("decision"))
        .isEqualTo("declined");
    web.postAbs(sandbox.baseUrl() + "/sandbox/faults").sendJsonObject(new JsonObject()
        .put("endpoint", "/institutions/get").put("mode", "latency").put("latency_ms", 200)).await();
    long start = System.nanoTime();
    call("/institutions/get", institutions());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));

    HttpResponse<Buffer> cleared = web.deleteAbs(sandbox.baseUrl() + "/sandbox/faults").send().await();
    assertThat(cleared.statusCode()).isEqualTo(200);
    assertThat(cleared.bodyAsJsonObject().getJsonArray("faults")).isEmpty();
    assertThat(call("/accounts/balance/get", new JsonObject().put("access_token", item.token))
        .getJsonArray("accounts")).isNotEmpty();

    for (JsonObject bad : List.of(new JsonObject().put("mode", "outage"),
        new JsonObject().put("endpoint", "/nope").put("mode", "outage"),
        new JsonObject().put("endpoint", "/accounts/get").put("mode", "explode"),
        new JsonObject().put("endpoint", "/accounts/get").put("mode", "error").put("rate", 2),
        new JsonObject().put("endpoint", "/accounts/get").put("mode", "latency").put("latency_ms", -1),
        new JsonObject().put("endpoint", "/accounts/get").put("mode", "error").put("error_code", "lower"),
        new JsonObject().put("endpoint", "/accounts/get").put("mode", "error").put("extra", 1))) {
      assertError(web.postAbs(sandbox.baseUrl() + "/sandbox/faults").sendJsonObject(bad).await(), 400,
          "INVALID_REQUEST", null);
    }
  }

  /** Garbage in, a Plaid error object out with a 4xx status: never a 500, never an empty or HTML answer. */
  @Test
  void garbageGetsPlaidErrorObjectsNeverA500() {
    List<String> bodies = List.of("", "null", "nul", "[]", "\"x\"", "42", "{", "{}", "{\"client_id\":1,\"secret\":2}",
        "\u0000\u00ff", "{\"client_id\":\"" + ID + "\",\"secret\":\"" + SECRET + "\"}",
        creds().put("access_token", 5).put("public_token", List.of()).put("transfer_id", new JsonObject())
            .put("amount", 1).put("count", "x").put("offset", -1).put("country_codes", "US").put("key_id", true)
            .put("institution_id", 7).put("initial_products", List.of(1)).put("user", "u").encode(),
        creds().put("access_token", "a").put("account_id", "b").put("type", "debit").put("network", "ach")
            .put("amount", "-1.00").put("ach_class", "ppd").put("user", new JsonObject().put("legal_name", "x"))
            .put("authorization_id", "z").put("description", "0123456789abcdefg").put("idempotency_key", "")
            .put("count", 0).put("offset", 0).put("country_codes", List.of()).encode());
    for (String path : List.of("/link/token/create", "/sandbox/public_token/create", "/item/public_token/exchange",
        "/accounts/get", "/accounts/balance/get", "/transfer/authorization/create", "/transfer/authorization/cancel",
        "/transfer/create",
        "/transfer/cancel", "/transfer/get", "/transfer/refund/create", "/transfer/refund/get", "/transfer/event/sync",
        "/institutions/get",
        "/webhook_verification_key/get")) {
      for (String body : bodies) {
        HttpResponse<Buffer> r = web.postAbs(sandbox.baseUrl() + path).putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer(body)).await();
        assertThat(r.statusCode()).as(path + " " + body).isBetween(400, 499);
        assertError(r, r.statusCode(), null, null);
      }
    }
    assertError(web.getAbs(sandbox.baseUrl() + "/accounts/get").send().await(), 404, "INVALID_REQUEST", "NOT_FOUND");
    assertError(web.postAbs(sandbox.baseUrl() + "/nope").sendJsonObject(creds()).await(), 404, "INVALID_REQUEST",
        "NOT_FOUND");
    assertError(web.postAbs(sandbox.baseUrl() + "/accounts/get").sendBuffer(Buffer.buffer(new byte[2 * 1024 * 1024]))
        .await(), 413, "INVALID_REQUEST", "INVALID_BODY");
  }

  // --- helpers

  private record Item(String token, String account) {}

  private static Item item() {
    String token = call("/item/public_token/exchange", new JsonObject().put("public_token", publicToken()))
        .getString("access_token");
    String account = call("/accounts/get", new JsonObject().put("access_token", token)).getJsonArray("accounts")
        .getJsonObject(0).getString("account_id");
    return new Item(token, account);
  }

  private static String publicToken() {
    return call("/sandbox/public_token/create", new JsonObject().put("institution_id", "ins_109508")
        .put("initial_products", new JsonArray().add("transfer"))).getString("public_token");
  }

  private static JsonObject authorize(Item item, String amount, String key) {
    return call("/transfer/authorization/create", new JsonObject().put("access_token", item.token)
        .put("account_id", item.account).put("type", "debit").put("network", "ach").put("amount", amount)
        .put("ach_class", "ppd").put("user", new JsonObject().put("legal_name", "Ada Lovelace"))
        .put("idempotency_key", key));
  }

  private static JsonObject create(Item item, String authorizationId, String key) {
    JsonObject b = new JsonObject().put("access_token", item.token).put("account_id", item.account)
        .put("authorization_id", authorizationId).put("description", "payment");
    if (key != null) {
      b.put("idempotency_key", key);
    }
    return call("/transfer/create", b);
  }

  private static JsonObject institutions() {
    return new JsonObject().put("count", 10).put("offset", 0).put("country_codes", new JsonArray().add("US"));
  }

  private static JsonObject creds() {
    return new JsonObject().put("client_id", ID).put("secret", SECRET);
  }

  private static long calls(String endpoint) {
    return web.getAbs(sandbox.baseUrl() + "/sandbox/stats").send().await().bodyAsJsonObject().getJsonObject("calls")
        .getLong(endpoint, 0L);
  }

  private static HttpResponse<Buffer> raw(String path, JsonObject body) {
    return web.postAbs(sandbox.baseUrl() + path).sendJsonObject(body).await();
  }

  private static JsonObject call(String path, JsonObject body) {
    HttpResponse<Buffer> r = raw(path, body.copy().put("client_id", ID).put("secret", SECRET));
    assertThat(r.statusCode()).as(path + ": " + r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static void assertError(HttpResponse<Buffer> r, int status, String type, String code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    JsonObject e = r.bodyAsJsonObject();
    assertThat(e.getString("error_type")).isNotEmpty();
    assertThat(e.getString("error_code")).isNotEmpty();
    assertThat(e.getString("error_message")).isNotEmpty();
    assertThat(e.getString("request_id")).isNotEmpty();
    if (type != null) {
      assertThat(e.getString("error_type")).isEqualTo(type);
    }
    if (code != null) {
      assertThat(e.getString("error_code")).isEqualTo(code);
    }
  }

  /**
   * ES256 verification without the sandbox's code: the JWK's x and y into a JCA key, and the JWS signature (r||s,
   * 32 bytes each) into the DER SEQUENCE the plain {@code SHA256withECDSA} verifier takes.
   */
  private static boolean verifyEs256(JsonObject jwk, String signingInput, byte[] rs) throws Exception {
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec("secp256r1"));
    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
    BigInteger x = new BigInteger(1, Base64.getUrlDecoder().decode(jwk.getString("x")));
    BigInteger y = new BigInteger(1, Base64.getUrlDecoder().decode(jwk.getString("y")));
    PublicKey key = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), spec));
    assertThat(rs).hasSize(64);
    byte[] der = der(new BigInteger(1, java.util.Arrays.copyOfRange(rs, 0, 32)),
        new BigInteger(1, java.util.Arrays.copyOfRange(rs, 32, 64)));
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(key);
    v.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    try {
      return v.verify(der);
    } catch (java.security.SignatureException e) {
      return false;
    }
  }

  private static byte[] der(BigInteger r, BigInteger s) {
    byte[] rb = r.toByteArray();
    byte[] sb = s.toByteArray();
    byte[] out = new byte[6 + rb.length + sb.length];
    out[0] = 0x30;
    out[1] = (byte) (4 + rb.length + sb.length);
    out[2] = 0x02;
    out[3] = (byte) rb.length;
    System.arraycopy(rb, 0, out, 4, rb.length);
    out[4 + rb.length] = 0x02;
    out[5 + rb.length] = (byte) sb.length;
    System.arraycopy(sb, 0, out, 6 + rb.length, sb.length);
    return out;
  }
}
