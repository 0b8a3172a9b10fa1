package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.providers.ProviderBreaker;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.transactions.saga.PaymentLedgerIds;
import dev.ledgerline.transactions.saga.ProviderActivitiesImpl;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The payment saga end to end over HTTP, on one node with every role, the in-process Temporal server and the embedded
 * Plaid sandbox: a payment is accepted by the gateway, started by the transaction.created handler, and the ledger and
 * the payment row show each outcome. Short deadlines keep the fault cases quick.
 */
class PaymentSagaHttpTest {
  private static final Duration DEADLINE = Duration.ofSeconds(8);

  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND)
      .set("temporal.target", "inprocess")
      .set("providers.sandbox.port", "0").set("providers.sandbox.settle-after", "200ms")
      .set("providers.breaker.failure-threshold", "3").set("providers.breaker.reset-timeout", "1s")
      .set("providers.breaker.half-open-successes", "1")
      .set("payments.max-in-flight", "2").set("payments.settlement-poll", "200ms").set("payments.external-deadline", DEADLINE.toSeconds() + "s")
      // update-balance (and each compensation) gives up after this: the failure-after-commit case ends in seconds.
      .set("payments.compensation-retry", "6s")
      .build();

  private static WebClient web;
  private static String sandbox;
  private static LedgerClient ledger;
  private static String alice;
  private static String operator;
  private static String funder;
  private static String link;

  @BeforeAll
  static void start() {
    web = WebClient.create(node.client());
    sandbox = node.get().providers().baseUrl();
    ledger = new LedgerClient(node.get().vertx(), Duration.ofSeconds(30));
    alice = node.tokens().issue("alice", Role.USER);
    operator = node.tokens().issue("op", Role.OPERATOR);
    funder = account(operator);
    link = link(alice);
  }

  @AfterEach
  void noFaults() {
    assertThat(web.deleteAbs(sandbox + "/sandbox/faults").send().await().statusCode()).isEqualTo(200);
  }

  private static JsonObject call(String method, String path, String token, JsonObject body, int expected) {
    var req = web.request(io.vertx.core.http.HttpMethod.valueOf(method), node.gatewayPort(), "127.0.0.1", path)
        .putHeader("Authorization", "Bearer " + token).putHeader("Idempotency-Key", UUID.randomUUID().toString());
    HttpResponse<Buffer> r = body == null ? req.send().await() : req.sendJsonObject(body).await();
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.bodyAsString()).isEqualTo(expected);
    return r.bodyAsJsonObject();
  }

  private static String account(String token) {
    return call("POST", "/v1/accounts", token, new JsonObject().put("ledger", 1).put("code", 1), 201)
        .getString("id");
  }

  private static String link(String token) {
    HttpResponse<Buffer> r = web.postAbs(sandbox + "/sandbox/public_token/create")
        .sendJsonObject(new JsonObject().put("client_id", SandboxSettings.DEVELOPMENT_CLIENT_ID)
            .put("secret", SandboxSettings.DEVELOPMENT_SECRET).put("institution_id", "ins_109508")
            .put("initial_products", new JsonArray().add("transfer"))).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return call("POST", "/v1/linked-accounts", token, new JsonObject()
        .put("public_token", r.bodyAsJsonObject().getString("public_token")), 201).getString("id");
  }

  /** A funded account of alice's with 1000. */
  private static String payer() {
    String payer = account(alice);
    call("POST", "/v1/transfers", operator, new JsonObject().put("debit_account_id", funder)
        .put("credit_account_id", payer).put("amount", "1000").put("ledger", 1).put("code", 1), 201);
    return payer;
  }

  private static String pay(String payer, long amount) {
    return pay(payer, amount, null);
  }

  private static String pay(String payer, long amount, JsonObject metadata) {
    JsonObject body = new JsonObject().put("from_account_id", payer).put("amount", Long.toString(amount))
        .put("ledger", 1).put("code", 1).put("provider", "plaid").put("linked_account_id", link)
        .put("description", "rent");
    if (metadata != null) body.put("metadata", metadata);
    JsonObject accepted = call("POST", "/v1/payments", alice, body, 202);
    assertThat(accepted.getString("status")).isEqualTo("pending");
    return accepted.getString("id");
  }

  /**
   * Waits for the row's status (read from PostgreSQL: cheap), then for GET /v1/payments/{id} to answer that row: the
   * cached answer is dropped just after the row commits, so a read straight after the commit may still see the
   * previous entry for that short, bounded while.
   */
  private static JsonObject until(String id, String status, Duration within) {
    PaymentStore store = new PaymentStore(node.get().services().pool(), null);
    Poll.until(within, "payment " + id + " " + status, () -> {
      Payment p = store.get(id).await().orElseThrow();
      return p.status().wireName().equals(status);
    });
    int steps = store.get(id).await().orElseThrow().steps().size();
    JsonObject[] answer = new JsonObject[1];
    Poll.until(Duration.ofSeconds(10), "GET /v1/payments/" + id + " shows the row", () -> {
      answer[0] = call("GET", "/v1/payments/" + id, alice, null, 200);
      return answer[0].getString("status").equals(status) && answer[0].getJsonArray("steps").size() >= steps;
    });
    return answer[0];
  }

  /** Idempotency keys stored for POST /v1/payments. */
  private static long paymentKeys() {
    return node.get().services().pool().preparedQuery("SELECT count(*) FROM idempotency_keys WHERE route = $1")
        .execute(io.vertx.sqlclient.Tuple.of(dev.ledgerline.gateway.routes.PaymentRoutes.CREATE)).await().iterator()
        .next().getLong(0);
  }

  /** A payment that waits in external_pending because the provider's authorization is down. */
  private static String waitingOnTheProvider(String payer, long amount) {
    fault("/transfer/authorization/create", "outage");
    String id = pay(payer, amount);
    until(id, "external_pending", Duration.ofSeconds(30));
    return id;
  }

  private static void fault(String endpoint, String mode) {
    HttpResponse<Buffer> r = web.postAbs(sandbox + "/sandbox/faults").sendJsonObject(new JsonObject()
        .put("endpoint", endpoint).put("mode", mode).put("rate", 1.0)).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  private static Account account(UInt128 id) {
    return ledger.lookupAccounts(List.of(id)).await().get(0);
  }

  private static boolean exists(String paymentId, String step) {
    return !ledger.lookupTransfers(List.of(PaymentLedgerIds.transfer(paymentId, step))).await().isEmpty();
  }

  private static Transfer transfer(String paymentId, String step) {
    return ledger.lookupTransfers(List.of(PaymentLedgerIds.transfer(paymentId, step))).await().get(0);
  }

  @Test
  void aPaymentCompletesWithBothHoldsPosted() {
    String payer = payer();
    String id = pay(payer, 250);
    JsonObject done = until(id, "completed", Duration.ofSeconds(30));
    assertThat(done.getString("provider_reference")).isNotNull();
    assertThat(exists(id, PaymentLedgerIds.COMMIT_RESERVE)).isTrue();
    assertThat(exists(id, PaymentLedgerIds.COMMIT_PENDING)).isTrue();
    assertThat(exists(id, PaymentLedgerIds.VOID_RESERVE)).isFalse();
    assertThat(exists(id, PaymentLedgerIds.REVERSE_PAYER)).isFalse();
    Account a = account(UInt128.parse(payer));
    assertThat(a.debitsPosted()).isEqualTo(UInt128.of(250));
    assertThat(a.debitsPending()).isEqualTo(UInt128.ZERO);
    // The commit posted this payment's own hold to the provider (whose account other tests share).
    Transfer commitPending = transfer(id, PaymentLedgerIds.COMMIT_PENDING);
    assertThat(commitPending.pendingId()).isEqualTo(PaymentLedgerIds.transfer(id, PaymentLedgerIds.PENDING));
    assertThat(done.getJsonArray("steps").stream().map(s -> ((JsonObject) s).getString("event")))
        .contains("FundsReserved", "TransferCommitted", "PaymentCompleted");
    // The payment's stream in the ledger event store: one event per state change, versions 1..n, each a transfer.
    // The last event follows the row's last update within the same activity.
    Poll.until(Duration.ofSeconds(10), "payment " + id + " events", () -> call("GET", "/v1/payments/" + id
        + "/events", alice, null, 200).getJsonArray("data").size() == 7);
    JsonArray events = call("GET", "/v1/payments/" + id + "/events", alice, null, 200).getJsonArray("data");
    assertThat(events.stream().map(e -> ((JsonObject) e).getString("type"))).containsExactly("payment.requested",
        "payment.funds_reserved", "payment.pending_created", "payment.external_requested",
        "payment.external_succeeded", "payment.committed", "payment.completed");
    for (int i = 0; i < events.size(); i++) {
      JsonObject e = events.getJsonObject(i);
      assertThat(e.getLong("version")).isEqualTo(i + 1L);
      assertThat(e.getJsonObject("payload").getString("payment_id")).isEqualTo(id);
      List<Transfer> t = ledger.lookupTransfers(List.of(UInt128.parse(e.getString("transfer_id")))).await();
      assertThat(t).singleElement().satisfies(x -> {
        assertThat(Long.toUnsignedString(x.timestamp())).isEqualTo(e.getString("ledger_timestamp"));
        assertThat(Integer.toUnsignedLong(x.userData32())).isEqualTo(e.getLong("version"));
      });
    }
  }

  @Test
  void aDeclineVoidsBothHoldsAndRestoresTheBalance() {
    fault("/transfer/authorization/create", "decline");
    String payer = payer();
    String id = pay(payer, 300);
    JsonObject done = until(id, "compensated", Duration.ofSeconds(30));
    assertThat(done.getString("failure_reason")).isNotNull();
    assertThat(exists(id, PaymentLedgerIds.VOID_RESERVE)).isTrue();
    assertThat(exists(id, PaymentLedgerIds.VOID_PENDING)).isTrue();
    assertThat(exists(id, PaymentLedgerIds.COMMIT_RESERVE)).isFalse();
    Account a = account(UInt128.parse(payer));
    assertThat(a.debitsPosted()).isEqualTo(UInt128.ZERO);
    assertThat(a.debitsPending()).isEqualTo(UInt128.ZERO);
    assertThat(a.creditsPosted()).isEqualTo(UInt128.of(1000));
  }

  @Test
  void anOutageOpensTheBreakerThePaymentWaitsThenCompletes() {
    String payer = payer();
    String id = waitingOnTheProvider(payer, 120);
    Poll.until(Duration.ofSeconds(30), "the breaker opens",
        () -> node.get().providers().breaker().state() == ProviderBreaker.State.OPEN);
    assertThat(call("GET", "/v1/payments/" + id, alice, null, 200).getString("status"))
        .isEqualTo("external_pending");
    assertThat(web.deleteAbs(sandbox + "/sandbox/faults").send().await().statusCode()).isEqualTo(200);
    until(id, "completed", Duration.ofSeconds(30));
    assertThat(account(UInt128.parse(payer)).debitsPosted()).isEqualTo(UInt128.of(120));
  }

  /** Admission: two payments waiting on the provider fill this node's slots; the next is 429 until one ends. */
  @Test
  void paymentsBeyondTheInFlightBoundAreRefusedUntilOneEnds() {
    fault("/transfer/authorization/create", "outage");
    String payer = payer();
    String first = pay(payer, 10);
    String second = pay(payer, 10);
    long keysBefore = paymentKeys();
    assertThat(keysBefore).isPositive();
    JsonObject refused = call("POST", "/v1/payments", alice, new JsonObject().put("from_account_id", payer)
        .put("amount", "10").put("ledger", 1).put("code", 1).put("provider", "plaid")
        .put("linked_account_id", link), 429);
    assertThat(refused.getString("type")).isEqualTo("urn:ledgerline:problem:payments-in-flight");
    // Refused before its Idempotency-Key was claimed: a crowd of refused clients writes nothing.
    assertThat(paymentKeys()).isEqualTo(keysBefore);
    assertThat(web.deleteAbs(sandbox + "/sandbox/faults").send().await().statusCode()).isEqualTo(200);
    until(first, "completed", Duration.ofSeconds(30));
    until(second, "completed", Duration.ofSeconds(30));
    // The outcomes reach the gateway through the relay's pub/sub: a slot frees shortly after.
    Poll.until(Duration.ofSeconds(10), "a slot is free", () -> node.get().gateway().payments().inFlight() < 2);
    until(pay(payer, 10), "completed", Duration.ofSeconds(30));
  }

  /**
   * Cancel over HTTP: while the provider is down the payment waits before its external step has succeeded, so the
   * owner's cancel compensates it (both holds voided); once a payment has completed, a cancel is 409.
   */
  @Test
  void anOwnersCancelBeforeTheExternalStepCompensatesAndAfterItIsRefused() {
    String payer = payer();
    String id = waitingOnTheProvider(payer, 60);
    assertThat(call("POST", "/v1/payments/" + id + "/cancel", alice, null, 202).getBoolean("cancel_requested"))
        .isTrue();
    JsonObject done = until(id, "compensated", Duration.ofSeconds(30));
    assertThat(done.getString("failure_reason")).isEqualTo("cancelled");
    // No authorization ever came back, so no create was sent: its compensation had nothing to ask the provider.
    PaymentStore store = new PaymentStore(node.get().services().pool(), null);
    assertThat(store.fence(id).await()).isEqualTo(new ProviderActivitiesImpl.Recorded(null, null));
    assertThat(exists(id, PaymentLedgerIds.VOID_RESERVE)).isTrue();
    assertThat(exists(id, PaymentLedgerIds.VOID_PENDING)).isTrue();
    assertThat(exists(id, PaymentLedgerIds.COMMIT_RESERVE)).isFalse();
    Account a = account(UInt128.parse(payer));
    assertThat(a.debitsPending()).isEqualTo(UInt128.ZERO);
    assertThat(a.debitsPosted()).isEqualTo(UInt128.ZERO);

    assertThat(web.deleteAbs(sandbox + "/sandbox/faults").send().await().statusCode()).isEqualTo(200);
    String completed = pay(payer, 40);
    until(completed, "completed", Duration.ofSeconds(30));
    call("POST", "/v1/payments/" + completed + "/cancel", alice, null, 409);
    assertThat(exists(completed, PaymentLedgerIds.VOID_RESERVE)).isFalse();
    assertThat(account(UInt128.parse(payer)).debitsPosted()).isEqualTo(UInt128.of(40));
  }

  @Test
  void aProviderAwayPastTheDeadlineIsCompensated() {
    fault("/transfer/authorization/create", "outage");
    String payer = payer();
    String id = pay(payer, 75);
    JsonObject done = until(id, "compensated", DEADLINE.plusSeconds(30));
    assertThat(done.getString("failure_reason")).isNotNull();
    assertThat(transfer(id, PaymentLedgerIds.VOID_RESERVE)).isNotNull();
    assertThat(exists(id, PaymentLedgerIds.COMMIT_RESERVE)).isFalse();
    Account a = account(UInt128.parse(payer));
    assertThat(a.debitsPending()).isEqualTo(UInt128.ZERO);
    assertThat(a.debitsPosted()).isEqualTo(UInt128.ZERO);
  }

  /** A payment and its answer once it reached a status. */
  private record Reached(String id, JsonObject answer) {}

  /**
   * Pays {@code amount} with a fault after the commit: PostgreSQL refuses update-balance's {@code transaction.updated}
   * (a trigger on the outbox, for this payment's metadata only), so the saga compensates with both holds already
   * posted. Answers once the payment is {@code status}.
   */
  private static Reached payFailingAfterTheCommit(String payer, long amount, String status) {
    String fault = UUID.randomUUID().toString();
    var pool = node.get().services().pool();
    pool.query("CREATE OR REPLACE FUNCTION payment_test_fail_update() RETURNS trigger LANGUAGE plpgsql AS "
        + "$$ BEGIN RAISE EXCEPTION 'injected fault: update-balance'; END $$").execute().await();
    pool.query("CREATE TRIGGER payment_test_fail_update BEFORE INSERT ON events_outbox FOR EACH ROW WHEN "
        + "(NEW.event_type = 'transaction.updated' AND NEW.payload->>'status' = 'completed' "
        + "AND NEW.payload->'metadata'->>'fault' = '" + fault + "') "
        + "EXECUTE FUNCTION payment_test_fail_update()").execute().await();
    try {
      String id = pay(payer, amount, new JsonObject().put("fault", fault));
      return new Reached(id, until(id, status, Duration.ofSeconds(60)));
    } finally {
      pool.query("DROP TRIGGER payment_test_fail_update ON events_outbox").execute().await();
    }
  }

  /**
   * A failure after the commit, with a provider that settled: the provider's transfer can no longer be cancelled, so
   * the external step's compensation refunds it (once, under the payment's refund key), and the payment ends
   * compensated with the ledger's reversal and the provider's refund, no operator needed.
   */
  @Test
  void aFailureAfterTheCommitRefundsTheProvidersSettledTransfer() {
    String payer = payer();
    Reached done = payFailingAfterTheCommit(payer, 130, "compensated");
    assertThat(exists(done.id(), PaymentLedgerIds.REVERSE_PAYER)).isTrue();
    assertThat(exists(done.id(), PaymentLedgerIds.VOID_RESERVE)).isFalse();
    assertThat(account(UInt128.parse(payer)).creditsPosted()).isEqualTo(UInt128.of(1000 + 130));

    String reference = new PaymentStore(node.get().services().pool(), null).get(done.id()).await().orElseThrow()
        .providerReference();
    HttpResponse<Buffer> got = web.postAbs(sandbox + "/transfer/get").sendJsonObject(new JsonObject()
        .put("client_id", SandboxSettings.DEVELOPMENT_CLIENT_ID).put("secret", SandboxSettings.DEVELOPMENT_SECRET)
        .put("transfer_id", reference)).await();
    JsonObject transfer = got.bodyAsJsonObject().getJsonObject("transfer");
    assertThat(transfer.getString("status")).isEqualTo("settled");
    assertThat(transfer.getJsonArray("refunds")).singleElement()
        .satisfies(r -> assertThat(((JsonObject) r).getString("amount")).isEqualTo("1.30"));
  }

  /**
   * A fault after the commit: the ledger then holds the reversal, provider → clearing → payer as one linked chain, and
   * no void; the payer's balance is whole again. The provider's transfer has settled and its refund is refused (an
   * injected decline), so the payment waits in needs_attention until an operator marks that part resolved; then it
   * is compensated.
   */
  @Test
  void aFailureAfterTheCommitReversesAndNeverVoids() {
    fault("/transfer/refund/create", "decline");
    String payer = payer();
    Reached reached = payFailingAfterTheCommit(payer, 180, "needs_attention");
    String id = reached.id();
    JsonObject stuck = reached.answer();
    assertThat(stuck.getString("failure_reason")).contains("update-balance");
    assertThat(stuck.getJsonArray("steps").stream().map(s -> ((JsonObject) s).getString("event")))
        .contains("TransferCommitted", "CompensationStarted", "PaymentNeedsAttention")
        .doesNotContain("PaymentCompleted");

    // The commit is undone by a reversal chain, and its holds are never voided.
    Transfer commitReserve = transfer(id, PaymentLedgerIds.COMMIT_RESERVE);
    Transfer commitPending = transfer(id, PaymentLedgerIds.COMMIT_PENDING);
    assertThat(commitReserve).isNotNull();
    assertThat(commitPending).isNotNull();
    Transfer back1 = transfer(id, PaymentLedgerIds.REVERSE_PROVIDER);
    Transfer back2 = transfer(id, PaymentLedgerIds.REVERSE_PAYER);
    UInt128 clearing = PaymentLedgerIds.clearingAccount(1);
    UInt128 provider = PaymentLedgerIds.providerAccount(1, "plaid");
    assertThat(back1.debitAccountId()).isEqualTo(provider);
    assertThat(back1.creditAccountId()).isEqualTo(clearing);
    assertThat(back1.hasFlag(TransferFlags.LINKED)).as("the reversal is one linked chain").isTrue();
    assertThat(back2.debitAccountId()).isEqualTo(clearing);
    assertThat(back2.creditAccountId()).isEqualTo(UInt128.parse(payer));
    assertThat(back2.hasFlag(TransferFlags.LINKED)).as("the chain ends at the payer").isFalse();
    assertThat(back1.amount()).isEqualTo(UInt128.of(180));
    assertThat(back2.amount()).isEqualTo(UInt128.of(180));
    assertThat(exists(id, PaymentLedgerIds.VOID_RESERVE)).isFalse();
    assertThat(exists(id, PaymentLedgerIds.VOID_PENDING)).isFalse();
    Account a = account(UInt128.parse(payer));
    assertThat(a.debitsPosted()).isEqualTo(UInt128.of(180));
    assertThat(a.creditsPosted()).isEqualTo(UInt128.of(1000 + 180));
    assertThat(a.debitsPending()).isEqualTo(UInt128.ZERO);

    // Only an operator resolves; the provider's part is marked resolved by hand and the saga finishes compensating.
    JsonObject resolve = new JsonObject().put("action", "mark_resolved").put("reason", "refunded at the provider");
    call("POST", "/v1/payments/" + id + "/resolve", alice, resolve, 403);
    call("POST", "/v1/payments/" + id + "/resolve", operator, resolve, 202);
    JsonObject done = until(id, "compensated", Duration.ofSeconds(30));
    assertThat(done.getJsonArray("steps").stream().map(s -> ((JsonObject) s).getString("event")))
        .contains("PaymentResolved", "PaymentCompensated");
    assertThat(exists(id, PaymentLedgerIds.VOID_RESERVE)).isFalse();
    assertThat(exists(id, PaymentLedgerIds.VOID_PENDING)).isFalse();
    assertThat(account(UInt128.parse(payer)).creditsPosted()).isEqualTo(UInt128.of(1000 + 180));
  }
}
