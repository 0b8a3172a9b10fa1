package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.transactions.TransactionsApi;
import dev.ledgerline.transactions.saga.PaymentLedgerIds;
import dev.ledgerline.users.Role;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The payments API over real HTTP on a gateway and ledger node (no transactions role: the saga is not run here, only
 * what the gateway writes and refuses): who may do what with whose payment, bad input writing nothing, and the saga's
 * holds being out of reach of /v1/transfers. Every answer is checked against /openapi.json by {@link ApiClient}.
 */
class PaymentsApiTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();
  private static final AtomicLong NEXT = new AtomicLong(System.nanoTime() % 1_000_000_000L * 1_000L);
  private static ApiClient api;
  private static String alice;
  private static String bob;
  private static String operator;
  private static String aliceAccount;
  private static String aliceOtherLedger;
  private static String aliceLink;
  private static String bobLink;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    alice = node.tokens().issue("alice", Role.USER);
    bob = node.tokens().issue("bob", Role.USER);
    operator = node.tokens().issue("op", Role.OPERATOR);
    aliceAccount = account(alice, 1);
    aliceOtherLedger = account(alice, 2);
    aliceLink = link(alice);
    bobLink = link(bob);
  }

  /** A bank link of the caller's, through the sandbox's public token and /v1/linked-accounts. */
  private static String link(String token) {
    WebClient web = WebClient.create(node.client());
    String sandbox = node.get().providers().baseUrl();
    HttpResponse<Buffer> r = web.postAbs(sandbox + "/sandbox/public_token/create")
        .sendJsonObject(new JsonObject().put("client_id", SandboxSettings.DEVELOPMENT_CLIENT_ID)
            .put("secret", SandboxSettings.DEVELOPMENT_SECRET).put("institution_id", "ins_109508")
            .put("initial_products", new JsonArray().add("transfer"))).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    Answer a = api.post("/v1/linked-accounts", token, UUID.randomUUID().toString(), new JsonObject()
        .put("public_token", r.bodyAsJsonObject().getString("public_token")).encode());
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static String account(String token, int ledger) {
    Answer a = api.post("/v1/accounts", token, null, "{\"ledger\":" + ledger + ",\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static String body(String from, String amount, int ledger) {
    return "{\"from_account_id\":\"" + from + "\",\"amount\":\"" + amount + "\",\"ledger\":" + ledger
        + ",\"code\":1,\"provider\":\"plaid\",\"linked_account_id\":\"" + aliceLink + "\",\"description\":\"rent\","
        + "\"metadata\":{\"invoice\":\"42\"}}";
  }

  private static long rows() {
    return node.get().services().pool().query("SELECT count(*) FROM payments").execute().await().iterator().next()
        .getLong(0);
  }

  private static String create(String token) {
    Answer a = api.post("/v1/payments", token, UUID.randomUUID().toString(), body(aliceAccount, "250", 1));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(202);
    return a.json().getString("id");
  }

  @Test
  void aPaymentIsAcceptedAndItsOwnersAlone() {
    String key = UUID.randomUUID().toString();
    Answer created = api.post("/v1/payments", alice, key, body(aliceAccount, "250", 1));
    assertThat(created.status()).as(created.raw().toString()).isEqualTo(202);
    String id = created.json().getString("id");
    assertThat(created.json()).isEqualTo(new JsonObject().put("id", id).put("status", "pending")
        .put("links", new JsonObject().put("self", "/v1/payments/" + id)));
    // The same key and body: the stored answer; another body: 422.
    Answer replay = api.post("/v1/payments", alice, key, body(aliceAccount, "250", 1));
    assertThat(replay.status()).isEqualTo(202);
    assertThat(replay.json().getString("id")).isEqualTo(id);
    assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(api.post("/v1/payments", alice, key, body(aliceAccount, "251", 1)).status()).isEqualTo(422);

    // caller × ownership: the owner and operators see it; anyone else gets 404 as for a payment that does not exist.
    Answer mine = api.get("/v1/payments/" + id, alice);
    assertThat(mine.status()).isEqualTo(200);
    assertThat(mine.json().getString("status")).isEqualTo("pending");
    assertThat(mine.json().getString("amount")).isEqualTo("250");
    assertThat(mine.json().getJsonObject("ledger_transfer_ids").getString("reserve-funds"))
        .isEqualTo(PaymentLedgerIds.transfer(id, PaymentLedgerIds.RESERVE).toString());
    assertThat(api.get("/v1/payments/" + id, bob).status()).isEqualTo(404);
    assertThat(api.get("/v1/payments/" + id, operator).status()).isEqualTo(200);
    assertThat(api.get("/v1/payments/" + UUID.randomUUID(), alice).status()).isEqualTo(404);
    assertThat(api.get("/v1/payments/not-an-id", alice).status()).isEqualTo(404);

    Answer events = api.get("/v1/payments/" + id + "/events", alice);
    assertThat(events.status()).isEqualTo(200);
    // The request is version 1 of the payment's stream in the ledger event store, appended with the row.
    JsonObject requested = events.json().getJsonArray("data").getJsonObject(0);
    assertThat(requested.getString("type")).isEqualTo("payment.requested");
    assertThat(requested.getLong("version")).isEqualTo(1L);
    assertThat(requested.getString("transfer_id")).matches("[1-9][0-9]*");
    assertThat(requested.getString("ledger_timestamp")).matches("[1-9][0-9]*");
    assertThat(requested.getJsonObject("payload").getString("amount")).isEqualTo("250");
    assertThat(api.get("/v1/payments/" + id + "/events", operator).status()).isEqualTo(200);
    assertThat(api.get("/v1/payments/" + id + "/events", bob).status()).isEqualTo(404);

    // Lists hold only the caller's own payments.
    assertThat(api.get("/v1/payments", alice).json().getJsonArray("data").stream()
        .map(o -> ((JsonObject) o).getString("id"))).contains(id);
    assertThat(api.get("/v1/payments", bob).json().getJsonArray("data").stream()
        .map(o -> ((JsonObject) o).getString("id"))).doesNotContain(id);
    assertThat(api.get("/v1/payments?status=pending&limit=1", alice).json().getJsonArray("data")).hasSize(1);

    // Resolve is for operators, and only in needs_attention.
    String resolve = "{\"action\":\"retry\",\"reason\":\"bank fixed\"}";
    assertThat(api.send(HttpMethod.POST, "/v1/payments/" + id + "/resolve", alice, null, resolve,
        "application/json").status()).isEqualTo(403);
    assertThat(api.send(HttpMethod.POST, "/v1/payments/" + id + "/resolve", operator, null, resolve,
        "application/json").status()).isEqualTo(409);

    // Cancel: the owner (another user's is not found); the flag is recorded for the saga.
    assertThat(api.send(HttpMethod.POST, "/v1/payments/" + id + "/cancel", bob, null, null, null).status())
        .isEqualTo(404);
    cancelAccepted(id, alice);
    // And an operator, who must be able to stop the payments of an owner suspended while they run.
    cancelAccepted(create(alice), operator);
  }

  /** {@code token}'s cancel of the payment: 202, the flag recorded. */
  private static void cancelAccepted(String id, String token) {
    Answer a = api.send(HttpMethod.POST, "/v1/payments/" + id + "/cancel", token, null, null, null);
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(202);
    assertThat(a.json().getBoolean("cancel_requested")).isTrue();
  }

  /**
   * A cancel whose signal a transactions node could not deliver (Temporal unreachable) is a 503 to send again, with the
   * flag recorded; with no transactions node to ask, the flag alone does (the saga reads it when it starts).
   */
  @Test
  void aCancelThatCouldNotReachARunningSagaIsA503ToSendAgain() {
    String id = create(alice);
    var failing = node.get().vertx().eventBus().<String>consumer(TransactionsApi.CANCEL_PAYMENT,
        m -> m.fail(503, "Temporal unreachable"));
    failing.completion().await();
    try {
      Answer refused = api.send(HttpMethod.POST, "/v1/payments/" + id + "/cancel", alice, null, null, null);
      assertThat(refused.status()).as(refused.raw().toString()).isEqualTo(503);
      assertThat(refused.json().getString("type")).isEqualTo(PaymentRoutes.TYPE_CANCEL_NOT_DELIVERED);
      assertThat(refused.header("Retry-After")).isEqualTo("1");
      assertThat(api.get("/v1/payments/" + id, alice).json().getBoolean("cancel_requested"))
          .isTrue();
    } finally {
      failing.unregister().await();
    }
    cancelAccepted(id, alice);
  }

  @Test
  void aListPagesWithItsCursor() {
    String a = create(alice);
    String b = create(alice);
    Answer first = api.get("/v1/payments?limit=1", alice);
    assertThat(first.json().getJsonArray("data").getJsonObject(0).getString("id")).isEqualTo(b);
    Answer second = api.get("/v1/payments?limit=1&cursor=" + first.json().getString("next_cursor"), alice);
    assertThat(second.json().getJsonArray("data").getJsonObject(0).getString("id")).isEqualTo(a);
  }

  /** Bad input of every kind: a 4xx problem, and no payment row. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      amount 0                | 400 | {"from_account_id":"ACC","amount":"0","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      amount negative         | 400 | {"from_account_id":"ACC","amount":"-5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      amount not a number     | 400 | {"from_account_id":"ACC","amount":"ten","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      amount over the cap     | 400 | {"from_account_id":"ACC","amount":"340282366920938463463374607431768211455","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      amount a float          | 400 | {"from_account_id":"ACC","amount":2.5,"ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      from missing            | 400 | {"amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      from 0                  | 400 | {"from_account_id":"0","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      ledger 0                | 400 | {"from_account_id":"ACC","amount":"5","ledger":0,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      ledger a string         | 400 | {"from_account_id":"ACC","amount":"5","ledger":"1","code":1,"provider":"plaid","linked_account_id":"LINK"}
      code too large          | 400 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":70000,"provider":"plaid","linked_account_id":"LINK"}
      unknown provider        | 400 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":1,"provider":"stripe","linked_account_id":"LINK"}
      linked account missing  | 400 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":1,"provider":"plaid"}
      linked account empty    | 400 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":""}
      unknown field           | 400 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"l","x":1}
      metadata an array       | 400 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"l","metadata":[1]}
      description null        | 400 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"l","description":null}
      duplicate member        | 400 | {"from_account_id":"ACC","amount":"5","amount":"6","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      an array                | 400 | [1,2]
      not JSON                | 400 | {"from_account_id":
      different ledgers       | 422 | {"from_account_id":"OTHER","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      no such account         | 403 | {"from_account_id":"123456789","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      unknown linked account  | 422 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"00000000-0000-4000-8000-000000000000"}
      another's linked account| 422 | {"from_account_id":"ACC","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"BOBLINK"}
      not the caller's        | 403 | {"from_account_id":"BOBS","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"LINK"}
      another's, with his link| 403 | {"from_account_id":"BOBS","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"BOBLINK"}
      another's, unknown link | 403 | {"from_account_id":"BOBS","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"00000000-0000-4000-8000-000000000000"}
      other ledger, bad link  | 422 | {"from_account_id":"OTHER","amount":"5","ledger":1,"code":1,"provider":"plaid","linked_account_id":"BOBLINK"}
      """)
  void badInputIsRefusedAndWritesNothing(String name, int status, String body) {
    String bobs = account(bob, 1);
    long before = rows();
    Answer a = api.post("/v1/payments", alice, UUID.randomUUID().toString(), body.replace("ACC", aliceAccount)
        .replace("OTHER", aliceOtherLedger).replace("BOBS", bobs).replace("BOBLINK", bobLink).replace("LINK", aliceLink));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).startsWith("application/problem+json");
    assertThat(rows()).isEqualTo(before);
  }

  @Test
  void theIdempotencyKeyIsRequired() {
    long before = rows();
    Answer a = api.post("/v1/payments", alice, null, body(aliceAccount, "5", 1));
    assertThat(a.status()).isEqualTo(400);
    assertThat(rows()).isEqualTo(before);
  }

  /**
   * A hold the saga made (payer to clearing) must not be posted or voided by the payer through /v1/transfers, nor
   * may anyone move money through the saga's system accounts there: only the saga does.
   */
  @Test
  void theSagasHoldsAreOutOfReachOfTransfers() {
    LedgerClient ledger = new LedgerClient(node.get().vertx(), Duration.ofSeconds(30));
    String payer = account(alice, 1);
    String funder = account(operator, 1);
    assertThat(api.post("/v1/transfers", operator, UUID.randomUUID().toString(), "{\"debit_account_id\":\"" + funder
        + "\",\"credit_account_id\":\"" + payer + "\",\"amount\":\"100\",\"ledger\":1,\"code\":1}").status())
        .isEqualTo(201);
    UInt128 clearing = PaymentLedgerIds.clearingAccount(1);
    ledger.createAccounts(List.of(Account.of(clearing, 1, PaymentLedgerIds.CLEARING_CODE, AccountFlags.NONE)))
        .await();
    UInt128 hold = UInt128.of(NEXT.incrementAndGet(), 0x7A);
    assertThat(ledger.createTransfers(List.of(Transfer.of(hold, UInt128.parse(payer), clearing, UInt128.of(40), 1, 1,
        TransferFlags.PENDING))).await()).isEmpty();

    for (String flag : List.of("post_pending_transfer", "void_pending_transfer")) {
      for (String token : List.of(alice, operator)) {
        Answer a = api.post("/v1/transfers", token, UUID.randomUUID().toString(), "{\"id\":\""
            + NEXT.incrementAndGet() + "\",\"pending_id\":\"" + hold + "\",\"amount\":\"40\",\"flags\":[\"" + flag
            + "\"]}");
        assertThat(a.status()).as(flag + ": " + a.raw()).isEqualTo(403);
      }
    }
    Answer direct = api.post("/v1/transfers", operator, UUID.randomUUID().toString(), "{\"debit_account_id\":\""
        + clearing + "\",\"credit_account_id\":\"" + payer + "\",\"amount\":\"1\",\"ledger\":1,\"code\":1}");
    assertThat(direct.status()).isEqualTo(403);
    Answer batch = api.post("/v1/transfers/batch", alice, UUID.randomUUID().toString(), "{\"transfers\":[{\"id\":\""
        + NEXT.incrementAndGet() + "\",\"pending_id\":\"" + hold + "\",\"amount\":\"40\",\"flags\":"
        + "[\"void_pending_transfer\"]}]}");
    assertThat(batch.status()).isEqualTo(403);
    // The hold is untouched: still pending on the payer's account.
    Account after = ledger.lookupAccounts(List.of(UInt128.parse(payer))).await().get(0);
    assertThat(after.debitsPending()).isEqualTo(UInt128.of(40));
    assertThat(after.debitsPosted()).isEqualTo(UInt128.ZERO);
    // An ordinary hold of the payer's stays theirs to void.
    UInt128 own = UInt128.of(NEXT.incrementAndGet(), 0x7B);
    assertThat(ledger.createTransfers(List.of(Transfer.of(own, UInt128.parse(payer), UInt128.parse(funder),
        UInt128.of(5), 1, 1, TransferFlags.PENDING))).await()).isEmpty();
    assertThat(api.post("/v1/transfers", alice, UUID.randomUUID().toString(), "{\"id\":\"" + NEXT.incrementAndGet()
        + "\",\"pending_id\":\"" + own + "\",\"amount\":\"5\",\"flags\":[\"void_pending_transfer\"]}").status())
        .isEqualTo(201);
  }

  /**
   * The platform derives its own ledger ids by public rules. Were a caller able to create an object under one first
   * (ledger ids are first come, first served), it would own the saga's clearing account of a ledger no payment has
   * used yet, and read every payment's legs through it, or block payments there for good with another code.
   */
  @Test
  void nobodyMayTakeAnIdThePlatformWillDerive() {
    LedgerClient ledger = new LedgerClient(node.get().vertx(), Duration.ofSeconds(30));
    int fresh = 77;
    UInt128 clearing = PaymentLedgerIds.clearingAccount(fresh);
    UInt128 commit = PaymentLedgerIds.transfer(UUID.randomUUID().toString(), PaymentLedgerIds.COMMIT_PENDING);
    String mine = account(alice, 1);
    String theirs = account(operator, 1);
    for (String token : List.of(alice, operator)) {
      for (String body : List.of(
          "{\"id\":\"" + clearing + "\",\"ledger\":" + fresh + ",\"code\":900}",
          "{\"id\":\"" + clearing + "\",\"ledger\":1,\"code\":1}",
          "{\"id\":\"" + PaymentLedgerIds.providerAccount(fresh, "plaid") + "\",\"ledger\":" + fresh
              + ",\"code\":901}")) {
        Answer a = api.post("/v1/accounts", token, null, body);
        assertThat(a.status()).as(body + ": " + a.raw()).isEqualTo(400);
        assertThat(a.json().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("id");
      }
      // A payment's commit, taken first, would fail that payment after the bank moved the money.
      Answer transfer = api.post("/v1/transfers", token, UUID.randomUUID().toString(), "{\"id\":\"" + commit
          + "\",\"debit_account_id\":\"" + (token.equals(alice) ? mine : theirs) + "\",\"credit_account_id\":\""
          + (token.equals(alice) ? theirs : mine) + "\",\"amount\":\"1\",\"ledger\":1,\"code\":1}");
      assertThat(transfer.status()).as(transfer.raw().toString()).isEqualTo(400);
    }
    assertThat(ledger.lookupAccounts(List.of(clearing)).await()).isEmpty();
    assertThat(ledger.lookupTransfers(List.of(commit)).await()).isEmpty();
  }

  /** Garbage a fuzzer found getting through: each is a 4xx problem now, and none writes anything. */
  @Test
  void garbageIsAProblemAndWritesNothing() {
    long before = rows();
    String good = body(aliceAccount, "250", 1);
    for (String bad : List.of(good.replace("\"rent\"", "\"re\\u0000nt\""),
        good.replace("{\"invoice\":\"42\"}", "{\"\\u0000\":1}"), good.replace("\"rent\"", "\"\\ud800\""),
        good.replace("{\"invoice\":\"42\"}", "{\"a\":1e400}"))) {
      Answer a = api.post("/v1/payments", alice, UUID.randomUUID().toString(), bad);
      assertThat(a.status()).as(bad + ": " + a.raw()).isEqualTo(400);
      assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
    }
    // UTF-16 of ASCII text: every other byte is NUL, which a guessing parser would read as UTF-16.
    String utf16 = new String(good.getBytes(StandardCharsets.UTF_16LE), StandardCharsets.ISO_8859_1);
    assertThat(api.send(HttpMethod.POST, "/v1/payments", alice, UUID.randomUUID().toString(), utf16,
        "application/json").status()).isEqualTo(400);
    // Two keys: one would be kept, and a retry with the other would run the request again.
    var twoKeysRequest = WebClient.create(node.client()).post(node.gatewayPort(), "127.0.0.1", "/v1/payments")
        .putHeader("Authorization", "Bearer " + alice).putHeader("Content-Type", "application/json");
    twoKeysRequest.headers().add("Idempotency-Key", "k-" + UUID.randomUUID()).add("Idempotency-Key",
        "k-" + UUID.randomUUID());
    HttpResponse<Buffer> twoKeys = twoKeysRequest.sendBuffer(Buffer.buffer(good)).await();
    assertThat(twoKeys.statusCode()).as(twoKeys.bodyAsString()).isEqualTo(400);
    // A method the resource does not have: 405 naming those it has (RFC 9110).
    HttpResponse<Buffer> delete = WebClient.create(node.client()).delete(node.gatewayPort(), "127.0.0.1",
        "/v1/payments").putHeader("Authorization", "Bearer " + alice).send().await();
    assertThat(delete.statusCode()).isEqualTo(405);
    assertThat(delete.getHeader("Allow")).isEqualTo("GET, POST");
    assertThat(rows()).isEqualTo(before);

    String id = create(alice);
    Answer cancelWithBody = api.send(HttpMethod.POST, "/v1/payments/" + id + "/cancel", alice, null, "\u00ff garbage",
        "text/plain");
    assertThat(cancelWithBody.status()).as(cancelWithBody.raw().toString()).isEqualTo(400);
    assertThat(api.get("/v1/payments/" + id, alice).json().getBoolean("cancel_requested")).isFalse();
    // A form is a body too, though the body handler keeps none of its bytes.
    Answer cancelWithForm = api.send(HttpMethod.POST, "/v1/payments/" + id + "/cancel", alice, null,
        "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n", "multipart/form-data; boundary=x");
    assertThat(cancelWithForm.status()).as(cancelWithForm.raw().toString()).isEqualTo(400);
    assertThat(api.get("/v1/payments/" + id, alice).json().getBoolean("cancel_requested")).isFalse();
    // So is a body on a DELETE, which reads none: refused before anything is deleted.
    HttpResponse<Buffer> deleteWithBody = WebClient.create(node.client()).delete(node.gatewayPort(), "127.0.0.1",
        "/v1/linked-accounts/" + aliceLink).putHeader("Authorization", "Bearer " + alice)
        .putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("garbage")).await();
    assertThat(deleteWithBody.statusCode()).as(deleteWithBody.bodyAsString()).isEqualTo(400);
    assertThat(api.get("/v1/linked-accounts", alice).raw().toString()).contains(aliceLink);
    // A 405 on a path with an id names its methods too.
    HttpResponse<Buffer> deletePayment = WebClient.create(node.client()).delete(node.gatewayPort(), "127.0.0.1",
        "/v1/payments/" + id).putHeader("Authorization", "Bearer " + alice).send().await();
    assertThat(deletePayment.statusCode()).isEqualTo(405);
    assertThat(deletePayment.getHeader("Allow")).isEqualTo("GET");
    // An empty JSON object, which many clients send by default, is no body.
    Answer cancelWithEmptyObject = api.post("/v1/payments/" + id + "/cancel", alice, null, " { } ");
    assertThat(cancelWithEmptyObject.status()).as(cancelWithEmptyObject.raw().toString()).isEqualTo(202);

    // Revocation: a body is JSON, read strictly; {"token": null} names no token rather than the caller's own.
    String carol = node.tokens().issue("carol-" + UUID.randomUUID(), Role.USER);
    assertThat(api.send(HttpMethod.POST, "/v1/auth/revoke", carol, null, "{}", "text/plain").status())
        .isEqualTo(415);
    assertThat(api.send(HttpMethod.POST, "/v1/auth/revoke", carol, null,
        "--x\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nx\r\n--x--\r\n",
        "multipart/form-data; boundary=x").status()).isEqualTo(415);
    assertThat(api.post("/v1/auth/revoke", carol, null, "{\"token\":null}").status()).isEqualTo(400);
    assertThat(api.post("/v1/auth/revoke", carol, null, "{\"token\":\"x\",\"token\":\"y\"}").status())
        .isEqualTo(400);
    assertThat(api.get("/v1/payments", carol).status()).isEqualTo(200);
  }
}
