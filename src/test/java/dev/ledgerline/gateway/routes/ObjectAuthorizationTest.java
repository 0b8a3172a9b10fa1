package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.idempotency.Idempotent;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.users.Role;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Object-level authorization over real HTTP against one node (embedded PostgreSQL and Redis): which caller may send
 * which transfer flag, post and void, batches, and who becomes an account's owner. Every answer is also checked
 * against /openapi.json by {@link ApiClient}.
 */
class ObjectAuthorizationTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node()
      // Not a rate-limit test: each case makes a handful of requests per subject and operation.
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();
  private static ApiClient api;
  private static String operator;
  /** Operator accounts that give each case's accounts balances, so that balancing transfers move money. */
  private static String fund;
  private static String sink;
  private static final AtomicLong NEXT = new AtomicLong(System.currentTimeMillis() % 1_000_000_000L * 1_000_000L);

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    operator = node.tokens().issue("operator", Role.OPERATOR);
    fund = account(operator);
    sink = account(operator);
  }

  private static String user(String sub) {
    return node.tokens().issue(sub, Role.USER);
  }

  private static String id() {
    return String.valueOf(NEXT.incrementAndGet());
  }

  private static String key() {
    return UUID.randomUUID().toString();
  }

  private static String account(String token) {
    Answer a = api.post("/v1/accounts", token, null, "{\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static String transfer(String id, String debit, String credit, String amount, String... flags) {
    StringBuilder f = new StringBuilder();
    for (String flag : flags) {
      f.append(f.length() == 0 ? "" : ",").append('"').append(flag).append('"');
    }
    return "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit
        + "\",\"amount\":\"" + amount + "\",\"ledger\":1,\"code\":1,\"flags\":[" + f + "]}";
  }

  private static String postOrVoid(String id, String pendingId, String flag) {
    return "{\"id\":\"" + id + "\",\"pending_id\":\"" + pendingId + "\",\"amount\":\"10\",\"flags\":[\"" + flag
        + "\"]}";
  }

  private static Answer send(String token, String body) {
    return api.post("/v1/transfers", token, key(), body);
  }

  private static void ok(String token, String body) {
    Answer a = send(token, body);
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
  }

  /** The account's balances as the operator sees them. */
  private static JsonObject balances(String account) {
    Answer a = api.get("/v1/accounts/" + account, operator);
    assertThat(a.status()).isEqualTo(200);
    JsonObject j = a.json();
    return new JsonObject().put("debits_pending", j.getString("debits_pending"))
        .put("debits_posted", j.getString("debits_posted")).put("credits_pending", j.getString("credits_pending"))
        .put("credits_posted", j.getString("credits_posted")).put("flags", j.getValue("flags"));
  }

  private static boolean transferExists(String id) {
    return api.get("/v1/transfers/" + id, operator).status() == 200;
  }

  // ---- transfers: every flag by every kind of caller ----

  enum Caller { DEBIT_OWNER, CREDIT_OWNER, BOTH, NEITHER, OPERATOR }

  /** What each caller gets for a transfer with {@code flag}: 201 allowed, 403 refused, 404 not visible. */
  record Row(String flag, int debitOwner, int creditOwner, int ownerOfBoth, int ownerOfNeither, int operator) {
    int expected(Caller c) {
      return switch (c) {
        case DEBIT_OWNER -> debitOwner;
        case CREDIT_OWNER -> creditOwner;
        case BOTH -> ownerOfBoth;
        case NEITHER -> ownerOfNeither;
        case OPERATOR -> operator;
      };
    }
  }

  private static final List<Row> FLAGS = List.of(
      //      flag                     debit  credit both neither operator
      new Row("none",                  201,   403,   201, 403,    201),
      new Row("pending",               201,   403,   201, 403,    201),
      new Row("balancing_debit",       201,   403,   201, 403,    201),
      new Row("closing_debit",         201,   403,   201, 403,    201),
      new Row("balancing_credit",      403,   403,   201, 403,    201),
      new Row("closing_credit",        403,   403,   201, 403,    201),
      new Row("post_pending_transfer", 201,   403,   201, 404,    201),
      new Row("void_pending_transfer", 201,   201,   201, 404,    201));

  static Stream<Arguments> flagsByCaller() {
    List<Arguments> out = new ArrayList<>();
    for (Row row : FLAGS) {
      for (Caller c : Caller.values()) {
        out.add(Arguments.of(row.flag(), c, row.expected(c)));
      }
    }
    return out.stream();
  }

  /** A debit account D with credits and a credit account C with debits, owned as the caller kind says. */
  private record Case(String caller, String debit, String credit) {}

  private static Case accountsFor(Caller kind) {
    String n = id();
    String caller = kind == Caller.OPERATOR ? node.tokens().issue("ops-" + n, Role.OPERATOR) : user("caller-" + n);
    String debitOwner = kind == Caller.DEBIT_OWNER || kind == Caller.BOTH ? caller : user("debtor-" + n);
    String creditOwner = kind == Caller.CREDIT_OWNER || kind == Caller.BOTH ? caller : user("creditor-" + n);
    Case c = new Case(caller, account(debitOwner), account(creditOwner));
    ok(operator, transfer(id(), fund, c.debit(), "1000"));
    ok(operator, transfer(id(), c.credit(), sink, "1000"));
    return c;
  }

  @ParameterizedTest(name = "{0} by {1}: {2}")
  @MethodSource("flagsByCaller")
  void everyFlagByEveryCaller(String flag, Caller kind, int expected) {
    Case c = accountsFor(kind);
    String body;
    if (flag.endsWith("_pending_transfer")) {
      String pending = id();
      ok(operator, transfer(pending, c.debit(), c.credit(), "10", "pending"));
      body = postOrVoid(id(), pending, flag);
    } else if (flag.startsWith("closing_")) {
      body = transfer(id(), c.debit(), c.credit(), "1", "pending", flag);
    } else if (flag.equals("none")) {
      body = transfer(id(), c.debit(), c.credit(), "1");
    } else {
      body = transfer(id(), c.debit(), c.credit(), "1", flag);
    }
    String transferId = new JsonObject(body).getString("id");
    JsonObject debitBefore = balances(c.debit());
    JsonObject creditBefore = balances(c.credit());

    Answer a = send(c.caller(), body);

    assertThat(a.status()).as("%s by %s: %s", flag, kind, a.raw()).isEqualTo(expected);
    if (expected == 201) {
      assertThat(a.json().getString("result")).isEqualTo("ok");
      assertThat(transferExists(transferId)).isTrue();
    } else {
      assertThat(transferExists(transferId)).as("a refused transfer is not created").isFalse();
      assertThat(balances(c.debit())).as("debit account unchanged").isEqualTo(debitBefore);
      assertThat(balances(c.credit())).as("credit account unchanged").isEqualTo(creditBefore);
      if (expected == 404) {
        // Exactly the ledger's answer for a pending transfer that does not exist.
        assertThat(a.json().getString("result")).isEqualTo("pending_transfer_not_found");
      }
    }
  }

  @Test
  void theIssuesExploitsAreRefusedAndTheVictimKeepsTransacting() {
    String mallory = user("mallory");
    String victim = user("victim");
    String own = account(mallory);
    String v1 = account(victim);
    String v2 = account(victim);
    ok(operator, transfer(id(), fund, v1, "500"));
    // Freezing the victim's account through the credit side.
    assertThat(send(mallory, transfer(id(), own, v1, "1", "pending", "closing_credit")).status()).isEqualTo(403);
    // Reading its balance through a balancing amount.
    assertThat(send(mallory, transfer(id(), own, v1, "340282366920938463463374607431768211454", "balancing_credit"))
        .status()).isEqualTo(403);
    ok(victim, transfer(id(), v1, v2, "5"));
    assertThat(balances(v1).getJsonArray("flags")).doesNotContain("closed");
  }

  @Test
  void aPendingTransferThatClosesItsDebitAccountIsVoidedOnlyByThatAccountsOwner() {
    String payer = user("payer-" + id());
    String payee = user("payee-" + id());
    String d = account(payer);
    String c = account(payee);
    String pending = id();
    ok(payer, transfer(pending, d, c, "0", "pending", "closing_debit"));
    assertThat(send(payee, postOrVoid(id(), pending, "void_pending_transfer").replace("\"10\"", "\"0\"")).status())
        .isEqualTo(403);
    ok(payer, postOrVoid(id(), pending, "void_pending_transfer").replace("\"10\"", "\"0\""));
  }

  @Test
  void aPendingIdThatDoesNotExistIsRefusedWith404BeforeTheLedger() {
    String u = user("ghost-" + id());
    account(u);
    String missing = id();
    for (String flag : List.of("post_pending_transfer", "void_pending_transfer")) {
      String tid = id();
      Answer a = send(u, postOrVoid(tid, missing, flag));
      assertThat(a.status()).isEqualTo(404);
      assertThat(a.json().getString("result")).isEqualTo("pending_transfer_not_found");
      assertThat(a.json().getString("id")).isEqualTo(tid);
      // Not passed to the ledger: there pending_transfer_not_found records the id as failed, and this would be
      // id_already_failed.
      ok(operator, transfer(tid, fund, sink, "1"));
    }
  }

  @Test
  void aRefusalIsNotStoredUnderTheIdempotencyKeyARetryIsJudgedAgain() {
    String u = user("late-owner-" + id());
    String credit = account(u);
    String debit = id();
    String body = transfer(id(), debit, credit, "0");
    String key = key();
    // The debit account does not exist yet, so it is nobody's: refused.
    assertThat(api.post("/v1/transfers", u, key, body).status()).isEqualTo(403);
    assertThat(createAccount(u, debit, 1, 1).status()).isEqualTo(201);
    Answer retry = api.post("/v1/transfers", u, key, body);
    assertThat(retry.status()).as(retry.raw().toString()).isEqualTo(201);
    assertThat(retry.header(Idempotent.REPLAYED)).isNull();
  }

  // ---- batches ----

  @Test
  void oneRefusedTransferRefusesTheWholeBatchAndNothingIsExecuted() {
    String alice = user("alice-batch-" + id());
    String bob = user("bob-batch-" + id());
    String a1 = account(alice);
    String a2 = account(alice);
    String b1 = account(bob);
    String first = id();
    String second = id();
    JsonObject before = balances(a1);
    Answer a = api.post("/v1/transfers/batch", alice, key(), "{\"transfers\":[" + transfer(first, a1, a2, "1") + ","
        + transfer(second, a1, b1, "1", "pending", "closing_credit") + "]}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(403);
    assertThat(a.json().getInteger("index")).isEqualTo(1);
    assertThat(transferExists(first)).isFalse();
    assertThat(transferExists(second)).isFalse();
    assertThat(balances(a1)).isEqualTo(before);
    assertThat(balances(b1).getJsonArray("flags")).doesNotContain("closed");
  }

  @Test
  void aBatchMayPostAPendingTransferOfItsOwnLinkedChainButNotOneOutsideIt() {
    String u = user("chain-" + id());
    String d = account(u);
    String c = account(u);
    String pending = id();
    String post = id();
    Answer chained = api.post("/v1/transfers/batch", u, key(), "{\"transfers\":["
        + transfer(pending, d, c, "10", "pending", "linked") + "," + postOrVoid(post, pending, "post_pending_transfer")
        + "]}");
    assertThat(chained.status()).as(chained.raw().toString()).isEqualTo(200);
    assertThat(chained.json().getJsonArray("results").stream().map(r -> ((JsonObject) r).getString("result")))
        .containsExactly("ok", "ok");
    assertThat(balances(c).getString("credits_posted")).isEqualTo("10");

    // Not linked: the pending transfer could fail alone, so the post is authorized only on what the ledger holds.
    String loose = id();
    Answer unlinked = api.post("/v1/transfers/batch", u, key(), "{\"transfers\":["
        + transfer(loose, d, c, "10", "pending") + "," + postOrVoid(id(), loose, "post_pending_transfer") + "]}");
    assertThat(unlinked.status()).as(unlinked.raw().toString()).isEqualTo(404);
    assertThat(unlinked.json().getInteger("index")).isEqualTo(1);
    assertThat(unlinked.json().getString("result")).isEqualTo("pending_transfer_not_found");
    assertThat(transferExists(loose)).isFalse();
  }

  @Test
  void aChainCannotBorrowTheIdOfSomeoneElsesPendingTransferToVoidIt() {
    String victim = user("victim-chain-" + id());
    String mallory = user("mallory-chain-" + id());
    String v1 = account(victim);
    String v2 = account(victim);
    String m1 = account(mallory);
    String m2 = account(mallory);
    String pending = id();
    ok(victim, transfer(pending, v1, v2, "10", "pending"));
    // Mallory's own "pending transfer" with the victim's id (it would fail as exists_with_different_*), then a void.
    Answer a = api.post("/v1/transfers/batch", mallory, key(), "{\"transfers\":["
        + transfer(pending, m1, m2, "10", "pending", "linked") + ","
        + postOrVoid(id(), pending, "void_pending_transfer") + "]}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(404);
    assertThat(balances(v1).getString("debits_pending")).isEqualTo("10");
  }

  // ---- account ownership ----

  private static Answer createAccount(String token, String id, int ledger, int code) {
    return api.post("/v1/accounts", token, null, "{\"id\":\"" + id + "\",\"ledger\":" + ledger + ",\"code\":" + code
        + "}");
  }

  @Test
  void aCreateTheLedgerRefusesRecordsNoOwner() {
    String alice = user("alice-own-" + id());
    String bob = user("bob-own-" + id());
    String account = id();
    Answer refused = createAccount(alice, account, 0, 1);
    assertThat(refused.status()).isEqualTo(422);
    assertThat(refused.json().getString("result")).isEqualTo("ledger_must_not_be_zero");
    Answer created = createAccount(bob, account, 1, 1);
    assertThat(created.status()).as(created.raw().toString()).isEqualTo(201);
    assertThat(api.get("/v1/accounts/" + account, bob).status()).isEqualTo(200);
    assertThat(api.get("/v1/accounts/" + account, alice).status()).isEqualTo(404);
  }

  @Test
  void creatingSomeoneElsesIdSaysOnlyThatItExists() {
    String alice = user("alice-taken-" + id());
    String bob = user("bob-taken-" + id());
    String account = id();
    assertThat(createAccount(alice, account, 1, 1).status()).isEqualTo(201);
    Answer same = createAccount(bob, account, 1, 1);
    Answer different = createAccount(bob, account, 2, 7);
    for (Answer a : List.of(same, different)) {
      assertThat(a.status()).isEqualTo(409);
      JsonObject body = a.json();
      body.remove("request_id");
      assertThat(body).isEqualTo(new JsonObject().put("type", LedgerReplies.TYPE_LEDGER_RESULT)
          .put("title", "Conflict").put("status", 409).put("detail", "an account with this id already exists")
          .put("result", "exists").put("id", account));
    }
    // The owner gets the ledger's own answers.
    assertThat(createAccount(alice, account, 1, 1).status()).isEqualTo(200);
    Answer differs = createAccount(alice, account, 1, 2);
    assertThat(differs.status()).isEqualTo(409);
    assertThat(differs.json().getString("result")).isEqualTo("exists_with_different_code");
    assertThat(api.get("/v1/accounts/" + account, bob).status()).isEqualTo(404);
  }

  @Test
  void anAccountWithoutAnOwnerRowGrantsNothingOnExists() {
    String account = id();
    assertThat(createAccount(operator, account, 1, 1).status()).isEqualTo(201);
    // As for an account made outside the gateway: it exists in the ledger, nobody is recorded as its owner.
    node.get().services().pool().preparedQuery("DELETE FROM account_owners WHERE account_id = $1")
        .execute(Tuple.of(Numeric.create(new BigDecimal(account)))).await();
    String carol = user("carol-" + id());
    Answer a = createAccount(carol, account, 1, 1);
    assertThat(a.status()).isEqualTo(409);
    assertThat(a.json().getString("result")).isEqualTo("exists");
    assertThat(api.get("/v1/accounts/" + account, carol).status()).isEqualTo(404);
    // Still nobody's: the failed create recorded nothing.
    assertThat(node.get().services().pool().preparedQuery("SELECT 1 FROM account_owners WHERE account_id = $1")
        .execute(Tuple.of(Numeric.create(new BigDecimal(account)))).await().size()).isZero();
  }

  @Test
  void aStaleOwnerRowLeftByAnOlderVersionYieldsToTheCreateTheLedgerAnswersOk() {
    String staleOwner = "mallory-stale-" + id();
    String mallory = user(staleOwner);
    String bob = user("bob-stale-" + id());
    String account = id();
    // What the older version left after a create the ledger refused: an owner row for an account that does not exist.
    node.get().services().pool().preparedQuery("INSERT INTO account_owners (account_id, owner) VALUES ($1, $2)")
        .execute(Tuple.of(Numeric.create(new BigDecimal(account)), staleOwner)).await();
    String mine = account(mallory);
    assertThat(api.get("/v1/accounts/" + account, mallory).status()).isEqualTo(404);
    Answer created = createAccount(bob, account, 1, 1);
    assertThat(created.status()).as(created.raw().toString()).isEqualTo(201);
    assertThat(api.get("/v1/accounts/" + account, bob).status()).isEqualTo(200);
    ok(operator, transfer(id(), fund, account, "100"));
    // The stale owner may no longer debit it.
    assertThat(send(mallory, transfer(id(), account, mine, "50")).status()).isEqualTo(403);
    assertThat(balances(account).getString("debits_posted")).isEqualTo("0");
  }

  @Test
  void twoConcurrentCreatesOfOneIdMakeExactlyOneOwnerTheOneTheLedgerAnsweredOk() {
    for (int round = 0; round < 10; round++) {
      String alice = user("alice-race-" + round + "-" + id());
      String bob = user("bob-race-" + round + "-" + id());
      String account = id();
      String body = "{\"id\":\"" + account + "\",\"ledger\":1,\"code\":1}";
      // In odd rounds alice's create is one the ledger refuses: it must not cost bob the id.
      String aliceBody = round % 2 == 1 ? body.replace("\"ledger\":1", "\"ledger\":0") : body;
      Future<Answer> fa = api.postAsync("/v1/accounts", alice, key(), aliceBody);
      Future<Answer> fb = api.postAsync("/v1/accounts", bob, key(), body);
      Answer a = fa.await();
      Answer b = fb.await();
      api.conforms(HttpMethod.POST, "/v1/accounts", a);
      api.conforms(HttpMethod.POST, "/v1/accounts", b);
      if (round % 2 == 1) {
        // 422 when it reaches the ledger first; after bob's create the ledger checks the id first: exists.
        assertThat(a.status()).isIn(409, 422);
        assertThat(b.status()).isEqualTo(201);
      } else {
        assertThat(List.of(a.status(), b.status())).as("round %d", round).containsExactlyInAnyOrder(201, 409);
      }
      String winner = a.status() == 201 ? alice : bob;
      String loser = winner.equals(alice) ? bob : alice;
      assertThat(api.get("/v1/accounts/" + account, winner).status()).isEqualTo(200);
      assertThat(api.get("/v1/accounts/" + account, loser).status()).isEqualTo(404);
    }
  }
}
