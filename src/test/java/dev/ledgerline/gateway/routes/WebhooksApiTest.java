package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.Event;
import dev.ledgerline.events.Uuid7;
import dev.ledgerline.events.webhooks.WebhookFanout;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Outbound webhooks end to end: a gateway and ledger node on embedded PostgreSQL delivers to a real Vert.x HTTP
 * receiver started by the test, which checks every signature with its own HMAC (javax.crypto, not the code under
 * test). Covers the signed delivery of committed transfers to the right owners only, the retry schedule, breaker
 * isolation between a dead and a healthy receiver, secret rotation, disabling after max-age, every route × caller,
 * and garbage input. Every answer is checked against /openapi.json by {@link ApiClient}.
 */
class WebhooksApiTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND)
      .set(Map.of("webhooks.allow-private", "true", "webhooks.backoff.initial", "100ms", "webhooks.backoff.max", "1s",
          "webhooks.timeout", "1s", "webhooks.connect-timeout", "1s", "webhooks.max-age", "4s",
          "webhooks.poll-interval", "100ms", "webhooks.breaker.failure-threshold", "5",
          "webhooks.breaker.reset-timeout", "1s"))
      .set("events.poll-interval", "100ms").build();

  private static ApiClient api;
  private static String admin;
  private static HttpServer receiver;
  private static int port;
  /** What each receiver path does: "ok", "fail:<n>" (500 n times, then 200), "500" (always), "dead" (no answer). */
  private static final Map<String, String> MODES = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> FAILED = new ConcurrentHashMap<>();
  private static final Map<String, List<Received>> RECEIVED = new ConcurrentHashMap<>();

  /** One request the receiver got. */
  record Received(MultiMap headers, String body, long atNanos) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    admin = node.tokens().issue("root-admin", Role.ADMIN);
    receiver = node.client().createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      String path = req.path();
      RECEIVED.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>())
          .add(new Received(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), body.toString(),
              System.nanoTime()));
      String mode = MODES.getOrDefault(path, "ok");
      if (mode.equals("dead")) {
        return; // never answers
      }
      boolean fail = mode.equals("500") || mode.startsWith("fail:")
          && FAILED.computeIfAbsent(path, p -> new AtomicInteger()).getAndIncrement()
          < Integer.parseInt(mode.substring(5));
      req.response().setStatusCode(fail ? 500 : 204).end();
    })).listen(0, "127.0.0.1").await();
    port = receiver.actualPort();
  }

  @AfterAll
  static void stop() {
    receiver.close().await();
  }

  // ---- helpers ----

  /** A user with webhooks:manage (users do not have it by default: an admin grants it). */
  private static String user(String sub, Role role) {
    String roleName = role.name().toLowerCase();
    Answer made = api.post(UserRoutes.PATH, admin, null, "{\"id\":\"" + sub + "\",\"roles\":[\"" + roleName
        + "\"],\"grant\":[\"webhooks:manage\"]}");
    assertThat(made.status()).as(made.raw().toString()).isEqualTo(201);
    return node.tokens().issue(sub, role);
  }

  private static String account(String token) {
    Answer a = api.post("/v1/accounts", token, null, "{\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static String transfer(String token, String debit, String credit) {
    Answer a = api.post("/v1/transfers", token, UUID.randomUUID().toString(), "{\"debit_account_id\":\"" + debit
        + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":\"7\",\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  /** Registers an endpoint at the receiver's {@code path}; answers its JSON (with {@code secret}). */
  private static JsonObject register(String token, String path, String... events) {
    JsonArray types = new JsonArray();
    for (String e : events) {
      types.add(e);
    }
    Answer a = api.post(WebhookRoutes.PATH, token, UUID.randomUUID().toString(), new JsonObject()
        .put("url", "http://127.0.0.1:" + port + path).put("events", types).encode());
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json();
  }

  private static List<Received> received(String path) {
    return RECEIVED.getOrDefault(path, List.of());
  }

  private static List<Received> receivedTransfer(String path, String transferId) {
    List<Received> out = new ArrayList<>();
    for (Received r : received(path)) {
      JsonObject j = r.json();
      if ("transfer.committed".equals(j.getString("type")) && transferId.equals(j.getJsonObject("data")
          .getString("id"))) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * The receiver's own check, written from the Standard Webhooks text: HMAC-SHA256 keyed with the base64-decoded
   * secret over "id.timestamp.body"; the signature header holds space-separated "v1,<base64>" entries. Returns
   * the index of the entry that matches, or -1.
   */
  private static int verify(Received r, String secret) throws Exception {
    String id = r.headers().get("webhook-id");
    String timestamp = r.headers().get("webhook-timestamp");
    assertThat(id).isNotBlank();
    assertThat(Long.parseLong(timestamp)).isBetween(System.currentTimeMillis() / 1000 - 300,
        System.currentTimeMillis() / 1000 + 300);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
    byte[] expected = mac.doFinal((id + "." + timestamp + "." + r.body()).getBytes(StandardCharsets.UTF_8));
    String[] entries = r.headers().get("webhook-signature").split(" ");
    for (int i = 0; i < entries.length; i++) {
      assertThat(entries[i]).startsWith("v1,");
      if (MessageDigest.isEqual(expected, Base64.getDecoder().decode(entries[i].substring(3)))) {
        return i;
      }
    }
    return -1;
  }

  private static JsonArray deliveries(String token, String endpointId) {
    Answer a = api.get(WebhookRoutes.PATH + "/" + endpointId + "/deliveries", token);
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(200);
    return a.json().getJsonArray("data");
  }

  // ---- delivery ----

  @Test
  void aCommittedTransferIsDeliveredSignedToTheOwnersOfItsAccountsOnly() throws Exception {
    String alice = user("alice-deliver", Role.USER);
    String bob = user("bob-deliver", Role.USER);
    String carol = user("carol-deliver", Role.USER);
    String ops = user("ops-deliver", Role.OPERATOR);
    String a = account(alice);
    String b = account(bob);
    JsonObject aliceHook = register(alice, "/deliver/alice", "transfer.committed");
    JsonObject bobHook = register(bob, "/deliver/bob", "transfer.committed");
    JsonObject carolHook = register(carol, "/deliver/carol", "transfer.committed");
    JsonObject opsHook = register(ops, "/deliver/ops", "transfer.committed");
    assertThat(aliceHook.getString("secret")).startsWith("whsec_");
    assertThat(aliceHook.getBoolean("all_accounts")).isFalse();
    assertThat(opsHook.getBoolean("all_accounts")).isTrue();

    String id = transfer(alice, a, b);
    for (String path : List.of("/deliver/alice", "/deliver/bob", "/deliver/ops")) {
      Poll.until(WAIT, "delivery to " + path, () -> !receivedTransfer(path, id).isEmpty());
    }
    Received got = receivedTransfer("/deliver/alice", id).get(0);
    assertThat(verify(got, aliceHook.getString("secret"))).isZero();
    assertThat(got.headers().get("content-type")).isEqualTo("application/json");
    JsonObject data = got.json().getJsonObject("data");
    assertThat(data.getString("debit_account_id")).isEqualTo(a);
    assertThat(data.getString("credit_account_id")).isEqualTo(b);
    assertThat(data.getString("amount")).isEqualTo("7");
    // One message: the same webhook-id for every endpoint, each signed with its own secret.
    Received atBob = receivedTransfer("/deliver/bob", id).get(0);
    assertThat(atBob.headers().get("webhook-id")).isEqualTo(got.headers().get("webhook-id"));
    assertThat(verify(atBob, bobHook.getString("secret"))).isZero();
    assertThat(verify(atBob, aliceHook.getString("secret"))).isEqualTo(-1);
    assertThat(verify(receivedTransfer("/deliver/ops", id).get(0), opsHook.getString("secret"))).isZero();
    // Carol owns neither account: nothing about the transfer reaches her.
    assertThat(Poll.holdsWithin(Duration.ofMillis(500), () -> !receivedTransfer("/deliver/carol", id).isEmpty()))
        .isFalse();
    assertThat(deliveries(carol, carolHook.getString("id"))).isEmpty();

    Poll.until(WAIT, "alice's delivery log says delivered", () -> {
      JsonArray log = deliveries(alice, aliceHook.getString("id"));
      return log.size() == 1 && log.getJsonObject(0).getString("status").equals("delivered");
    });
    JsonObject row = deliveries(alice, aliceHook.getString("id")).getJsonObject(0);
    assertThat(row.getString("message_id")).isEqualTo(got.headers().get("webhook-id"));
    assertThat(row.getInteger("attempts")).isEqualTo(1);
    assertThat(row.getInteger("last_status")).isEqualTo(204);
    // The secret is never read back.
    assertThat(api.get(WebhookRoutes.PATH + "/" + aliceHook.getString("id"), alice).json().containsKey("secret"))
        .isFalse();
    assertThat(api.get(WebhookRoutes.PATH, alice).raw().toString()).doesNotContain(aliceHook.getString("secret"));
  }

  /** Deliveries of the transfer's message written for the endpoint (none once its owner may no longer hear of it). */
  private static long deliveriesOf(String endpointId, String transferId) {
    return node.get().services().pool().preparedQuery("SELECT count(*) FROM webhook_deliveries d JOIN "
            + "webhook_messages m ON m.id = d.message_id WHERE d.endpoint_id = $1::uuid AND m.body LIKE $2")
        .execute(io.vertx.sqlclient.Tuple.of(endpointId, "%\"id\":\"" + transferId + "\"%")).await().iterator().next()
        .getLong(0);
  }

  private static void change(String userId, String body) {
    Answer a = api.send(HttpMethod.PATCH, UserRoutes.PATH + "/" + userId, admin, null, body, "application/json");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(200);
  }

  /**
   * An endpoint hears as its owner is now: an operator demoted to user no longer sees every account through the
   * endpoint it registered as an operator, and a suspended owner's endpoints get nothing new.
   */
  @Test
  void anOwnerDemotedOrSuspendedHearsNothingNew() {
    String ops = user("ops-demoted", Role.OPERATOR);
    String dave = user("dave-suspended", Role.USER);
    String erin = user("erin-witness", Role.USER);
    String d = account(dave);
    String e1 = account(erin);
    String e2 = account(erin);
    String opsHook = register(ops, "/demoted/ops", "transfer.committed").getString("id");
    String daveHook = register(dave, "/suspended/dave", "transfer.committed").getString("id");
    register(erin, "/witness/erin", "transfer.committed");

    String before = transfer(erin, e1, d);
    Poll.until(WAIT, "the operator's and dave's deliveries", () -> !receivedTransfer("/demoted/ops", before).isEmpty()
        && !receivedTransfer("/suspended/dave", before).isEmpty());

    change("ops-demoted", "{\"roles\":[\"user\"],\"reason\":\"moved teams\"}");
    change("dave-suspended", "{\"status\":\"suspended\",\"reason\":\"fraud review\"}");
    String after = transfer(erin, e1, d);
    // The witness hears of it, so its message was turned into deliveries: the others' would be there with it.
    Poll.until(WAIT, "the witness's delivery", () -> !receivedTransfer("/witness/erin", after).isEmpty());
    assertThat(deliveriesOf(opsHook, after)).isZero();
    assertThat(deliveriesOf(daveHook, after)).isZero();
    assertThat(deliveriesOf(opsHook, before)).isEqualTo(1);
    // And the endpoint says so.
    assertThat(api.get(WebhookRoutes.PATH + "/" + opsHook, ops).json().getBoolean("all_accounts")).isFalse();
  }

  @Test
  void aReceiverFailingThreeTimesGetsItAtTheFourthAttemptAfterGrowingWaits() throws Exception {
    String dora = user("dora-retry", Role.USER);
    String a = account(dora);
    String b = account(dora);
    MODES.put("/retry", "fail:3");
    JsonObject hook = register(dora, "/retry", "transfer.committed");
    String id = transfer(dora, a, b);
    Poll.until(WAIT, "four attempts", () -> receivedTransfer("/retry", id).size() >= 4);
    List<Received> attempts = receivedTransfer("/retry", id);
    for (Received r : attempts) {
      assertThat(verify(r, hook.getString("secret"))).isZero();
      assertThat(r.headers().get("webhook-id")).isEqualTo(attempts.get(0).headers().get("webhook-id"));
    }
    // backoff.initial 100ms doubled per attempt, of which at least half is waited: 50, 100 and 200 ms at least.
    for (int i = 1; i < 4; i++) {
      long gapMillis = (attempts.get(i).atNanos() - attempts.get(i - 1).atNanos()) / 1_000_000;
      assertThat(gapMillis).as("wait before attempt %d", i + 1).isGreaterThanOrEqualTo(50L << (i - 1));
    }
    Poll.until(WAIT, "delivered after four attempts", () -> {
      JsonObject row = deliveries(dora, hook.getString("id")).getJsonObject(0);
      return row.getString("status").equals("delivered") && row.getInteger("attempts") == 4;
    });
    assertThat(Poll.holdsWithin(Duration.ofMillis(500), () -> receivedTransfer("/retry", id).size() > 4)).isFalse();
  }

  @Test
  void aDeadReceiverDoesNotDelayAHealthyOne() {
    String erin = user("erin-breaker", Role.USER);
    String a = account(erin);
    String b = account(erin);
    MODES.put("/breaker/dead", "dead");
    register(erin, "/breaker/dead", "transfer.committed");
    register(erin, "/breaker/healthy", "transfer.committed");
    List<Long> lags = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      long committed = System.nanoTime();
      String id = transfer(erin, a, b);
      Poll.until(WAIT, "healthy delivery " + i, () -> !receivedTransfer("/breaker/healthy", id).isEmpty());
      lags.add((receivedTransfer("/breaker/healthy", id).get(0).atNanos() - committed) / 1_000_000);
    }
    // The dead receiver holds its attempts for the whole 1 s timeout; the healthy one is served meanwhile.
    assertThat(lags).allSatisfy(ms -> assertThat(ms).isLessThan(900L));
    assertThat(received("/breaker/dead")).isNotEmpty();
  }

  @Test
  void duringARotationsGraceBothSecretsSign() throws Exception {
    String fay = user("fay-rotate", Role.USER);
    String a = account(fay);
    String b = account(fay);
    JsonObject hook = register(fay, "/rotate", "transfer.committed");
    Answer rotated = api.post(WebhookRoutes.PATH + "/" + hook.getString("id") + "/rotate-secret", fay, null, null);
    assertThat(rotated.status()).as(rotated.raw().toString()).isEqualTo(200);
    String next = rotated.json().getString("secret");
    assertThat(next).startsWith("whsec_").isNotEqualTo(hook.getString("secret"));
    assertThat(rotated.json().getString("previous_secret_expires_at")).isNotNull();
    String id = transfer(fay, a, b);
    Poll.until(WAIT, "delivery after rotation", () -> !receivedTransfer("/rotate", id).isEmpty());
    Received r = receivedTransfer("/rotate", id).get(0);
    assertThat(r.headers().get("webhook-signature").split(" ")).hasSize(2);
    assertThat(verify(r, next)).isZero();
    assertThat(verify(r, hook.getString("secret"))).isEqualTo(1);
  }

  @Test
  void anEndpointFailingPastMaxAgeIsDisabledAndItsOwnerIsTold() {
    String gus = user("gus-disable", Role.USER);
    String a = account(gus);
    String b = account(gus);
    MODES.put("/disable/broken", "500");
    JsonObject broken = register(gus, "/disable/broken", "transfer.committed");
    register(gus, "/disable/notify", "webhook.endpoint.disabled");
    transfer(gus, a, b);
    Poll.until(WAIT, "the owner hears of the disabled endpoint", () -> received("/disable/notify").stream()
        .anyMatch(r -> r.json().getString("type").equals("webhook.endpoint.disabled")
            && r.json().getJsonObject("data").getString("endpoint_id").equals(broken.getString("id"))));
    JsonObject now = api.get(WebhookRoutes.PATH + "/" + broken.getString("id"), gus).json();
    assertThat(now.getString("status")).isEqualTo("disabled");
    assertThat(now.getString("disabled_reason")).contains("given up");
    JsonObject row = deliveries(gus, broken.getString("id")).getJsonObject(0);
    assertThat(row.getString("status")).isEqualTo("failed");
    assertThat(row.getInteger("attempts")).isGreaterThan(1);
    assertThat(row.getInteger("last_status")).isEqualTo(500);
    Answer retry = api.post(WebhookRoutes.PATH + "/" + broken.getString("id") + "/deliveries/"
        + row.getString("id") + "/retry", gus, null, null);
    assertThat(retry.status()).isEqualTo(409);
    assertThat(retry.json().getString("type")).isEqualTo(WebhookRoutes.TYPE_DISABLED);
    // Nothing more is sent to a disabled endpoint.
    int before = received("/disable/broken").size();
    transfer(gus, a, b);
    assertThat(Poll.holdsWithin(Duration.ofMillis(700), () -> received("/disable/broken").size() > before))
        .isFalse();
  }

  @Test
  void aDeliveryIsSentAgainOnRequest() {
    String hal = user("hal-redeliver", Role.USER);
    String a = account(hal);
    String b = account(hal);
    JsonObject hook = register(hal, "/redeliver", "transfer.committed");
    String id = transfer(hal, a, b);
    Poll.until(WAIT, "first delivery", () -> !receivedTransfer("/redeliver", id).isEmpty());
    Poll.until(WAIT, "logged", () -> deliveries(hal, hook.getString("id")).getJsonObject(0).getString("status")
        .equals("delivered"));
    String deliveryId = deliveries(hal, hook.getString("id")).getJsonObject(0).getString("id");
    Answer again = api.post(WebhookRoutes.PATH + "/" + hook.getString("id") + "/deliveries/" + deliveryId
        + "/retry", hal, null, null);
    assertThat(again.status()).as(again.raw().toString()).isEqualTo(202);
    Poll.until(WAIT, "second delivery", () -> receivedTransfer("/redeliver", id).size() == 2);
  }

  @Test
  void aPaymentsOutcomeGoesOnceToItsPayersEndpoints() throws Exception {
    String lea = user("lea-payment", Role.USER);
    String max = user("max-payment", Role.USER);
    String payer = account(lea);
    JsonObject leaHook = register(lea, "/payment/lea", "payment.completed", "payment.failed");
    register(max, "/payment/max", "payment.completed");
    String paymentId = UUID.randomUUID().toString();
    JsonObject snapshot = new JsonObject().put("id", paymentId).put("version", 3).put("kind", "payment")
        .put("status", "completed").put("account_ids", new JsonArray().add(payer)).put("amount", "12")
        .put("ledger", 1).put("code", 1);
    WebhookFanout fanout = new WebhookFanout(node.client(), node.get().services().pool());
    // The outbox delivers at least once, and a later version of the same outcome is published too: one message.
    for (int version : new int[] {3, 3, 4}) {
      fanout.handle(new Event(Uuid7.next(), "transaction.updated", Instant.now(), "c", "c", "test",
          "payment:" + paymentId, version, snapshot.copy().put("version", version))).await();
    }
    Poll.until(WAIT, "payment.completed at lea's endpoint", () -> !received("/payment/lea").isEmpty());
    Received r = received("/payment/lea").get(0);
    assertThat(verify(r, leaHook.getString("secret"))).isZero();
    assertThat(r.json().getString("type")).isEqualTo("payment.completed");
    assertThat(r.json().getJsonObject("data").getString("id")).isEqualTo(paymentId);
    assertThat(Poll.holdsWithin(Duration.ofMillis(500), () -> received("/payment/lea").size() > 1
        || !received("/payment/max").isEmpty())).isFalse();
    // Steps that are not outcomes are no webhook.
    fanout.handle(new Event(Uuid7.next(), "transaction.updated", Instant.now(), "c", "c", "test",
        "payment:" + paymentId, 5, snapshot.copy().put("status", "pending"))).await();
    assertThat(deliveries(lea, leaHook.getString("id"))).hasSize(1);
  }

  // ---- who may do what ----

  /** The owner's endpoint and one delivery of it, made once for the table. */
  private static String[] owned;

  private static synchronized String[] owned() {
    if (owned == null) {
      String owner = user("owner-bola", Role.USER);
      user("other-bola", Role.USER);
      user("ops-bola", Role.OPERATOR);
      String a = account(owner);
      String b = account(owner);
      JsonObject hook = register(owner, "/bola", "transfer.committed");
      transfer(owner, a, b);
      Poll.until(WAIT, "a delivery to retry", () -> deliveries(owner, hook.getString("id")).size() == 1);
      owned = new String[] {hook.getString("id"), deliveries(owner, hook.getString("id")).getJsonObject(0)
          .getString("id")};
    }
    return owned;
  }

  private static String token(String caller) {
    return switch (caller) {
      case "owner" -> node.tokens().issue("owner-bola", Role.USER);
      case "other" -> node.tokens().issue("other-bola", Role.USER);
      case "operator" -> node.tokens().issue("ops-bola", Role.OPERATOR);
      case "admin" -> admin;
      case "plain-user" -> node.tokens().issue("plain-user-bola", Role.USER);
      case "none" -> null;
      default -> throw new IllegalArgumentException(caller);
    };
  }

  @ParameterizedTest(name = "{0} {1} as {2} -> {3}")
  @CsvSource(delimiter = '|', textBlock = """
      # method | path                             | caller     | status
      GET      | /v1/webhooks/{id}                | owner      | 200
      GET      | /v1/webhooks/{id}                | other      | 404
      GET      | /v1/webhooks/{id}                | operator   | 404
      GET      | /v1/webhooks/{id}                | admin      | 404
      GET      | /v1/webhooks/{id}                | plain-user | 403
      GET      | /v1/webhooks/{id}                | none       | 401
      GET      | /v1/webhooks/{id}/deliveries     | owner      | 200
      GET      | /v1/webhooks/{id}/deliveries     | other      | 404
      GET      | /v1/webhooks/{id}/deliveries     | operator   | 404
      GET      | /v1/webhooks/{id}/deliveries     | admin      | 404
      GET      | /v1/webhooks/{id}/deliveries     | plain-user | 403
      GET      | /v1/webhooks/{id}/deliveries     | none       | 401
      POST     | /v1/webhooks/{id}/deliveries/{d}/retry | owner | 202
      POST     | /v1/webhooks/{id}/deliveries/{d}/retry | other | 404
      POST     | /v1/webhooks/{id}/deliveries/{d}/retry | operator | 404
      POST     | /v1/webhooks/{id}/deliveries/{d}/retry | admin | 404
      POST     | /v1/webhooks/{id}/deliveries/{d}/retry | plain-user | 403
      POST     | /v1/webhooks/{id}/deliveries/{d}/retry | none  | 401
      POST     | /v1/webhooks/{id}/rotate-secret  | other      | 404
      POST     | /v1/webhooks/{id}/rotate-secret  | operator   | 404
      POST     | /v1/webhooks/{id}/rotate-secret  | admin      | 404
      POST     | /v1/webhooks/{id}/rotate-secret  | plain-user | 403
      POST     | /v1/webhooks/{id}/rotate-secret  | none       | 401
      POST     | /v1/webhooks/{id}/rotate-secret  | owner      | 200
      DELETE   | /v1/webhooks/{id}                | other      | 404
      DELETE   | /v1/webhooks/{id}                | operator   | 404
      DELETE   | /v1/webhooks/{id}                | admin      | 404
      DELETE   | /v1/webhooks/{id}                | plain-user | 403
      DELETE   | /v1/webhooks/{id}                | none       | 401
      GET      | /v1/webhooks                     | plain-user | 403
      GET      | /v1/webhooks                     | none       | 401
      POST     | /v1/webhooks                     | plain-user | 403
      POST     | /v1/webhooks                     | none       | 401
      """)
  void everyRouteTimesEveryCaller(String method, String path, String caller, int status) {
    String[] o = owned();
    String p = path.replace("{id}", o[0]).replace("{d}", o[1]);
    String body = method.equals("POST") && p.equals(WebhookRoutes.PATH)
        ? "{\"url\":\"http://127.0.0.1:" + port + "/bola\",\"events\":[\"transfer.committed\"]}" : null;
    Answer a = api.send(HttpMethod.valueOf(method), p, token(caller), method.equals("POST") ? UUID.randomUUID()
        .toString() : null, body, "application/json");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(status);
    if (status >= 400) {
      assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
    }
  }

  @Test
  void theListShowsOnlyTheCallersEndpointsAndDeleteIsTheOwners() {
    String[] o = owned();
    for (String caller : List.of("other", "operator", "admin")) {
      Answer list = api.get(WebhookRoutes.PATH, token(caller));
      assertThat(list.status()).isEqualTo(200);
      assertThat(list.raw().toString()).doesNotContain(o[0]);
    }
    String ivy = user("ivy-delete", Role.USER);
    JsonObject hook = register(ivy, "/delete", "transfer.committed");
    Answer page = api.get(WebhookRoutes.PATH + "?limit=1", ivy);
    assertThat(page.json().getJsonArray("data").getJsonObject(0).getString("id")).isEqualTo(hook.getString("id"));
    assertThat(api.send(HttpMethod.DELETE, WebhookRoutes.PATH + "/" + hook.getString("id"), ivy, null, null, null)
        .status()).isEqualTo(204);
    assertThat(api.get(WebhookRoutes.PATH + "/" + hook.getString("id"), ivy).status()).isEqualTo(404);
    assertThat(api.send(HttpMethod.DELETE, WebhookRoutes.PATH + "/" + hook.getString("id"), ivy, null, null, null)
        .status()).isEqualTo(404);
  }

  @Test
  void aRetriedCreationWithTheSameKeyAnswersTheSameEndpointAndSecret() {
    String jo = user("jo-idem", Role.USER);
    String key = UUID.randomUUID().toString();
    String body = "{\"url\":\"http://127.0.0.1:" + port + "/idem\",\"events\":[\"payment.completed\"]}";
    Answer first = api.post(WebhookRoutes.PATH, jo, key, body);
    Answer again = api.post(WebhookRoutes.PATH, jo, key, body);
    assertThat(first.status()).isEqualTo(201);
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.json()).isEqualTo(first.json());
    assertThat(api.get(WebhookRoutes.PATH, jo).json().getJsonArray("data")).hasSize(1);
    Answer other = api.post(WebhookRoutes.PATH, jo, key, body.replace("/idem", "/idem2"));
    assertThat(other.status()).isEqualTo(422);
    // Never kept where the idempotency answers live.
    assertThat(node.get().services().pool().query("SELECT count(*) FROM idempotency_keys WHERE "
        + "position('whsec_'::bytea IN coalesce(body, ''::bytea)) > 0").execute().await().iterator().next().getLong(0)).isZero();
  }

  /**
   * Concurrent creations with one key all answer the one endpoint and the secret that signs its deliveries. (The
   * idempotency handler serialises them, so this does not open the vault race itself, which needs a lease taken over;
   * TokenVaultTest covers the first-writer rule that closes it.)
   */
  @Test
  void creationsRacingWithOneKeyAllAnswerTheSecretThatSigns() throws Exception {
    String kim = user("kim-race", Role.USER);
    String key = UUID.randomUUID().toString();
    String body = "{\"url\":\"http://127.0.0.1:" + port + "/race\",\"events\":[\"transfer.committed\"]}";
    List<java.util.concurrent.CompletableFuture<Answer>> racing = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      racing.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> api.post(WebhookRoutes.PATH, kim, key,
          body)));
    }
    java.util.Set<String> secrets = new java.util.HashSet<>();
    for (var f : racing) {
      Answer a = f.join();
      assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
      secrets.add(a.json().getString("secret"));
    }
    assertThat(secrets).hasSize(1);
    // The secret that signs is the one answered.
    String transfer = transfer(kim, account(kim), account(kim));
    Poll.until(WAIT, "the delivery", () -> !receivedTransfer("/race", transfer).isEmpty());
    assertThat(verify(receivedTransfer("/race", transfer).get(0), secrets.iterator().next())).isZero();
  }

  // ---- garbage ----

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      `{`                                                             | 400
      `[]`                                                            | 400
      `null`                                                          | 400
      `"x"`                                                           | 400
      `{}`                                                            | 400
      `{"url":"http://127.0.0.1:9/x"}`                                | 400
      `{"events":["transfer.committed"]}`                             | 400
      `{"url":7,"events":["transfer.committed"]}`                     | 400
      `{"url":"http://127.0.0.1:9/x","events":"transfer.committed"}`  | 400
      `{"url":"http://127.0.0.1:9/x","events":[]}`                    | 400
      `{"url":"http://127.0.0.1:9/x","events":["money.printed"]}`     | 400
      `{"url":"http://127.0.0.1:9/x","events":["payment.failed","payment.failed"]}` | 400
      `{"url":"http://127.0.0.1:9/x","events":[7]}`                   | 400
      `{"url":"http://127.0.0.1:9/x","events":["transfer.committed"],"secret":"whsec_AAAA"}` | 400
      `{"url":"http://127.0.0.1:9/x","url":"http://127.0.0.1:9/y","events":["transfer.committed"]}` | 400
      `{"url":"ftp://127.0.0.1/x","events":["transfer.committed"]}`   | 422
      `{"url":"http://user:pw@127.0.0.1/x","events":["transfer.committed"]}` | 422
      `{"url":"http://no-such-host.invalid/x","events":["transfer.committed"]}` | 422
      `{"url":"not a url","events":["transfer.committed"]}`           | 422
      """)
  void garbageIsAProblem(String body, int status) {
    String kim = node.tokens().issue("kim-garbage", Role.ADMIN);
    Answer a = api.post(WebhookRoutes.PATH, kim, UUID.randomUUID().toString(), body);
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(delimiter = '|', textBlock = """
      GET    | /v1/webhooks/not-a-uuid                                          | 400
      GET    | /v1/webhooks/00000000-0000-4000-8000-00000000000A                | 400
      GET    | /v1/webhooks?limit=0                                             | 400
      GET    | /v1/webhooks?limit=101                                           | 400
      GET    | /v1/webhooks?cursor=bm9wZQ                                       | 400
      GET    | /v1/webhooks?colour=red                                          | 400
      GET    | /v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries?limit=x | 400
      POST   | /v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries/0/retry | 400
      POST   | /v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries/x/retry | 400
      GET    | /v1/webhooks/00000000-0000-4000-8000-000000000000                | 404
      """)
  void badPathsAndParametersAreProblems(String method, String path, int status) {
    String kim = node.tokens().issue("kim-garbage", Role.ADMIN);
    Answer a = api.send(HttpMethod.valueOf(method), path, kim, null, null, null);
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
  }

  @Test
  void aWrongContentTypeAndABodyWhereNoneBelongsAreProblems() {
    String kim = node.tokens().issue("kim-garbage", Role.ADMIN);
    Answer text = api.send(HttpMethod.POST, WebhookRoutes.PATH, kim, UUID.randomUUID().toString(), "{}",
        "text/plain");
    assertThat(text.status()).isEqualTo(415);
    Answer rotateWithBody = api.send(HttpMethod.POST, WebhookRoutes.PATH
        + "/00000000-0000-4000-8000-000000000000/rotate-secret", kim, null, "{\"x\":1}", "application/json");
    assertThat(rotateWithBody.status()).isEqualTo(400);
    assertThat(rotateWithBody.header("Content-Type")).isEqualTo("application/problem+json");
  }
}
