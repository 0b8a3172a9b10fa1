package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.users.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a user with a valid account can learn about, or do to, another user's objects through ledger results, over
 * real HTTP against one node: capped amounts (no overflow of another account's credits), credit-account results
 * hidden from non-owners, and existing transfers of others not revealed by an explicit id.
 */
class DisclosureTest {
  private static final BigInteger U128_MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
  private static final String CAP = "18446744073709551615";

  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();
  private static ApiClient api;
  private static String operator;
  private static String fund;
  private static final AtomicLong NEXT = new AtomicLong(System.currentTimeMillis() % 1_000_000_000L * 1_000_000L);

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    operator = node.tokens().issue("operator", Role.OPERATOR);
    fund = account(operator, "");
  }

  private static String user(String sub) {
    return node.tokens().issue(sub, Role.USER);
  }

  private static String id() {
    return String.valueOf(NEXT.incrementAndGet());
  }

  private static String account(String token, String flag) {
    String flags = flag.isEmpty() ? "" : ",\"flags\":[\"" + flag + "\"]";
    Answer a = api.post("/v1/accounts", token, null, "{\"ledger\":1,\"code\":1" + flags + "}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static String transfer(String id, String debit, String credit, Object amount, String... flags) {
    StringBuilder f = new StringBuilder();
    for (String flag : flags) {
      f.append(f.length() == 0 ? "" : ",").append('"').append(flag).append('"');
    }
    return "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit
        + "\",\"amount\":\"" + amount + "\",\"ledger\":1,\"code\":1,\"flags\":[" + f + "]}";
  }

  private static Answer send(String token, String body) {
    return api.post("/v1/transfers", token, UUID.randomUUID().toString(), body);
  }

  private static Answer batch(String token, String... bodies) {
    return api.post("/v1/transfers/batch", token, UUID.randomUUID().toString(),
        "{\"transfers\":[" + String.join(",", bodies) + "]}");
  }

  private static JsonObject account(String id) {
    Answer a = api.get("/v1/accounts/" + id, operator);
    assertThat(a.status()).isEqualTo(200);
    return a.json();
  }

  private static boolean transferExists(String id) {
    return api.get("/v1/transfers/" + id, operator).status() == 200;
  }

  // (a): ~128 transfers of 2^127, 2^126, ... would fill the victim's credits to 2^128-1 for good.
  @Test
  void aUsersAmountIsCappedSoNobodyCanOverflowAnotherAccount() {
    String attacker = user("cap-attacker");
    String own = account(attacker, "");
    String victim = account(user("cap-victim"), "");
    String big = BigInteger.ONE.shiftLeft(127).toString();
    String id = id();

    Answer a = send(attacker, transfer(id, own, victim, big));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(422);
    assertThat(a.json().getString("type")).isEqualTo("urn:ledgerline:problem:amount-limit");
    assertThat(a.json().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("amount");
    assertThat(a.json().getJsonArray("errors").getJsonObject(0).getString("reason")).contains(CAP);
    assertThat(transferExists(id)).isFalse();

    // One transfer over the cap refuses the whole batch; nothing is executed.
    String first = id();
    String second = id();
    Answer b = batch(attacker, transfer(first, own, victim, 1), transfer(second, own, victim, big, "pending"));
    assertThat(b.status()).as(b.raw().toString()).isEqualTo(422);
    assertThat(b.json().getInteger("index")).isEqualTo(1);
    assertThat(b.json().getJsonArray("errors").getJsonObject(0).getString("field"))
        .isEqualTo("transfers[1].amount");
    assertThat(transferExists(first)).isFalse();
    assertThat(account(victim).getString("credits_posted")).isEqualTo("0");

    // The cap itself is allowed; operators are not capped.
    assertThat(send(attacker, transfer(id(), own, victim, CAP)).status()).isEqualTo(201);
    assertThat(send(operator, transfer(id(), fund, victim, big)).status()).isEqualTo(201);
  }

  @Test
  void aBalancingAmountIsOnlyABoundAndNotCapped() {
    String u = user("cap-balancing");
    String own = account(u, "");
    String payee = account(user("cap-balancing-payee"), "");
    assertThat(send(operator, transfer(id(), fund, own, 7)).status()).isEqualTo(201);
    Answer a = send(u, transfer(id(), own, payee, U128_MAX, "balancing_debit"));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    assertThat(account(payee).getString("credits_posted")).isEqualTo("7");
  }

  // (b): overflows_* results on credits to someone else's account would tell its credit sums by binary search.
  @Test
  void overflowOfAnotherUsersCreditsIsAnsweredWithoutSayingWhich() {
    String attacker = user("ovf-attacker");
    String own = account(attacker, "");
    String owner = user("ovf-victim");
    String victim = account(owner, "");
    String ownersOther = account(owner, "");
    // Only an operator can bring an account this close to 2^128-1.
    String nearMax = U128_MAX.subtract(BigInteger.TEN).toString();
    String opFund = account(operator, "");
    assertThat(send(operator, transfer(id(), opFund, victim, nearMax)).status()).isEqualTo(201);

    String probe = id();
    Answer a = send(attacker, transfer(probe, own, victim, 11, "pending"));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(422);
    assertThat(a.json().getString("result")).isEqualTo("credit_account_refused");
    assertThat(a.raw().toString()).doesNotContain("overflow");

    Answer b = batch(attacker, transfer(id(), own, victim, 1), transfer(id(), own, victim, 11));
    assertThat(b.status()).as(b.raw().toString()).isEqualTo(200);
    JsonArray results = b.json().getJsonArray("results");
    assertThat(results.getJsonObject(0).getString("result")).isEqualTo("ok");
    assertThat(results.getJsonObject(1).getString("result")).isEqualTo("credit_account_refused");

    // The account's owner (and operators) still see the precise result.
    Answer mine = send(owner, transfer(id(), ownersOther, victim, 11, "pending"));
    assertThat(mine.status()).isEqualTo(422);
    assertThat(mine.json().getString("result")).startsWith("overflows_credits");
    Answer op = send(operator, transfer(id(), account(operator, ""), victim, 11));
    assertThat(op.json().getString("result")).startsWith("overflows_credits");
  }

  // (c): exceeds_debits on credits to an account with credits_must_not_exceed_debits tells its balance.
  @Test
  void exceedsDebitsOfAnotherUsersAccountIsAnsweredWithoutSayingWhich() {
    String attacker = user("exd-attacker");
    String own = account(attacker, "");
    String owner = user("exd-victim");
    String victim = account(owner, "credits_must_not_exceed_debits");
    String ownersOther = account(owner, "");

    Answer a = send(attacker, transfer(id(), own, victim, 5, "pending"));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(422);
    assertThat(a.json().getString("result")).isEqualTo("credit_account_refused");
    Answer b = batch(attacker, transfer(id(), own, victim, 5));
    assertThat(b.json().getJsonArray("results").getJsonObject(0).getString("result"))
        .isEqualTo("credit_account_refused");

    Answer mine = send(owner, transfer(id(), ownersOther, victim, 5, "pending"));
    assertThat(mine.status()).isEqualTo(422);
    assertThat(mine.json().getString("result")).isEqualTo("exceeds_debits");
    assertThat(account(victim).getString("credits_pending")).isEqualTo("0");
  }

  @Test
  void resultsAboutTheCallersOwnDebitAccountStayPrecise() {
    String u = user("own-debit");
    String limited = account(u, "debits_must_not_exceed_credits");
    String other = account(user("own-debit-payee"), "");
    Answer a = send(u, transfer(id(), limited, other, 5));
    assertThat(a.status()).isEqualTo(422);
    assertThat(a.json().getString("result")).isEqualTo("exceeds_credits");
  }

  @Test
  void anExplicitIdOfAnotherUsersTransferRevealsNeitherItsExistenceNorItsFields() {
    String prober = user("exists-prober");
    String own = account(prober, "");
    String own2 = account(prober, "");
    String owner = user("exists-owner");
    String v1 = account(owner, "");
    String v2 = account(owner, "");
    String taken = id();
    assertThat(send(owner, transfer(taken, v1, v2, 5)).status()).isEqualTo(201);

    Answer a = send(prober, transfer(taken, own, own2, 5));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(409);
    assertThat(a.json().getString("result")).isEqualTo("exists");
    assertThat(a.raw().toString()).doesNotContain("different");
    Answer b = batch(prober, transfer(id(), own, own2, 1), transfer(taken, own, own2, 9));
    assertThat(b.status()).isEqualTo(200);
    assertThat(b.json().getJsonArray("results").getJsonObject(1).getString("result")).isEqualTo("id_taken");

    // The owner of one of its accounts gets the ledger's result.
    Answer mine = send(owner, transfer(taken, v1, v2, 6));
    assertThat(mine.status()).isEqualTo(409);
    assertThat(mine.json().getString("result")).isEqualTo("exists_with_different_amount");
    Answer same = send(owner, transfer(taken, v1, v2, 5));
    assertThat(same.status()).isEqualTo(200);
    assertThat(same.json().getString("result")).isEqualTo("exists");
    // So does the payee, who may read the transfer anyway.
    String paid = id();
    assertThat(send(owner, transfer(paid, v1, own, 5)).status()).isEqualTo(201);
    Answer payee = send(prober, transfer(paid, own2, own, 5));
    assertThat(payee.json().getString("result")).isEqualTo("exists_with_different_debit_account_id");
  }

  // An account create whose outcome was unknown (504), or whose owner row failed after the ledger's ok, left the
  // account in the ledger without an owner: the retry with the same key must make the caller its owner.
  @Test
  void aRetriedCreateWhoseOwnerWasLostMakesTheCallerTheOwner() {
    String sub = "lost-owner";
    String u = user(sub);
    String key = UUID.randomUUID().toString();
    UInt128 derived = DerivedIds.of(AccountRoutes.CREATE, sub, key, 0);
    LedgerClient ledger = new LedgerClient(node.get().vertx(), Duration.ofSeconds(10));
    assertThat(ledger.createAccounts(List.of(Account.of(derived, 1, 1, 0))).await()).isEmpty();
    assertThat(api.get("/v1/accounts/" + derived, u).status()).isEqualTo(404);

    Answer a = api.post("/v1/accounts", u, key, "{\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(200);
    assertThat(a.json().getString("id")).isEqualTo(derived.toString());
    assertThat(api.get("/v1/accounts/" + derived, u).status()).isEqualTo(200);
    assertThat(send(u, transfer(id(), derived.toString(), account(operator, ""), 3)).status()).isEqualTo(201);

    // An ownerless account sent with an explicit id (or by another subject's key) stays nobody's.
    UInt128 other = UInt128.parse(id());
    assertThat(ledger.createAccounts(List.of(Account.of(other, 1, 1, 0))).await()).isEmpty();
    Answer explicit = api.post("/v1/accounts", u, UUID.randomUUID().toString(),
        "{\"id\":\"" + other + "\",\"ledger\":1,\"code\":1}");
    assertThat(explicit.status()).isEqualTo(409);
    Answer someoneElse = api.post("/v1/accounts", user("lost-owner-other"), key, "{\"ledger\":1,\"code\":1}");
    assertThat(someoneElse.status()).isEqualTo(201);
    assertThat(someoneElse.json().getString("id")).isNotEqualTo(derived.toString());
    assertThat(api.get("/v1/accounts/" + other, u).status()).isEqualTo(404);
  }
}
