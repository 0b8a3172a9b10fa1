package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Balance fields outside GET /v1/accounts/{id} (docs/caching.md, "Balance fields everywhere"): the created account's
 * answer, the operators' account list and the history route read the balance cache and state version and age; who
 * may see them is unchanged (caller × route table).
 */
class BalanceFieldsHttpTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND)
      .set("cache.debug-headers", "true").build();
  private static ApiClient api;
  private static String operator;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    operator = node.tokens().issue("fields-operator", Role.OPERATOR);
  }

  private static String user(String sub) {
    return node.tokens().issue(sub, Role.USER);
  }

  private static String accountBody(String userData128) {
    return "{\"ledger\":1,\"code\":1,\"user_data_128\":\"" + userData128 + "\"}";
  }

  private static String account(String token, String userData128) {
    Answer a = api.post("/v1/accounts", token, UUID.randomUUID().toString(), accountBody(userData128));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static String tag() {
    return Long.toUnsignedString(UUID.randomUUID().getMostSignificantBits() >>> 1);
  }

  private static void transfer(String token, String debit, String credit, String amount) {
    Answer a = api.post("/v1/transfers", token, UUID.randomUUID().toString(), "{\"debit_account_id\":\"" + debit
        + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":\"" + amount + "\",\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
  }

  private static String version(Answer single) {
    return single.header("ETag").replace("\"", "");
  }

  private static JsonObject row(Answer list, String id) {
    return list.json().getJsonArray("accounts").stream().map(JsonObject.class::cast)
        .filter(r -> r.getString("id").equals(id)).findFirst().orElseThrow();
  }

  /** This node's balance reads answered from memory so far. */
  private static double l1Reads() {
    String metrics = node.web().get(node.managementPort(), "127.0.0.1", "/metrics").send().await().bodyAsString();
    return metrics.lines().filter(l -> l.startsWith("ledgerline_cache_reads_total") && l.contains("cache=\"balance\"")
        && l.contains("result=\"l1\"")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  // ---- POST /v1/accounts ----

  @Test
  void aCreatedAccountIsAnsweredWithItsVersionAndAgeAndPrimesTheCacheAndAReplayStatesNeither() {
    String kim = user("kim-" + UUID.randomUUID());
    String key = UUID.randomUUID().toString();
    Answer created = api.post("/v1/accounts", kim, key, accountBody(tag()));
    assertThat(created.status()).isEqualTo(201);
    assertThat(version(created)).as("the version of an account without transfers is its creation")
        .isEqualTo(created.json().getString("timestamp"));
    assertThat(created.header("Age")).isEqualTo("0");
    assertThat(created.header("X-Cache")).isEqualTo("miss");
    assertThat(created.header("Cache-Control")).isEqualTo("no-store");

    Answer read = api.get("/v1/accounts/" + created.json().getString("id"), kim);
    assertThat(read.header("X-Cache")).as("primed by the create").isEqualTo("L1");
    assertThat(read.header("ETag")).isEqualTo(created.header("ETag"));

    Answer replay = api.post("/v1/accounts", kim, key, accountBody(created.json().getString("user_data_128")));
    assertThat(replay.status()).isEqualTo(201);
    assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.header("ETag")).as("a stored answer is not a current balance").isNull();
    assertThat(replay.header("Age")).isNull();
  }

  // ---- GET /v1/accounts (operators) ----

  @Test
  void listRowsComeFromTheCacheWithVersionAndAgeAndATransferShowsThrough() {
    String lee = user("lee-" + UUID.randomUUID());
    String group = tag();
    String a = account(lee, group);
    String b = account(lee, group);
    Answer single = api.get("/v1/accounts/" + a, lee);
    double before = l1Reads();

    Answer list = api.get("/v1/accounts?user_data_128=" + group, operator);
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.json().getJsonArray("accounts")).hasSize(2);
    assertThat(row(list, a).getString("balance_version")).isEqualTo(version(single));
    assertThat(row(list, a).getLong("balance_age_ms")).isNotNegative();
    assertThat(l1Reads() - before).as("both rows from this node's memory").isGreaterThanOrEqualTo(2);

    transfer(lee, a, b, "25");
    Poll.until(Duration.ofSeconds(10), "the transfer shows in the list", () -> {
      JsonObject r = row(api.get("/v1/accounts?user_data_128=" + group, operator), b);
      return "25".equals(r.getString("credits_posted"))
          && r.getString("balance_version").equals(version(api.get("/v1/accounts/" + b, lee)));
    });
    assertThat(Long.parseUnsignedLong(row(api.get("/v1/accounts?user_data_128=" + group, operator), a)
        .getString("balance_version"))).isGreaterThan(Long.parseUnsignedLong(version(single)));

    double cached = l1Reads();
    Answer through = api.get("/v1/accounts?user_data_128=" + group + "&consistent=true", operator);
    assertThat(row(through, b).getString("credits_posted")).isEqualTo("25");
    assertThat(l1Reads()).as("read through, not from memory").isEqualTo(cached);
    Answer noCache = api.get("/v1/accounts?user_data_128=" + group, operator, Map.of("Cache-Control", "no-cache"));
    assertThat(row(noCache, a).getString("debits_posted")).isEqualTo("25");
    assertThat(l1Reads()).isEqualTo(cached);
    Answer bad = api.get("/v1/accounts?user_data_128=" + group + "&consistent=maybe", operator);
    assertThat(bad.status()).isEqualTo(400);
  }

  // ---- who sees balance fields: caller × route, with the balance cached first or not ----

  enum Route { LIST, HISTORY, CREATE_SAME_ID }

  enum Caller { OWNER, OTHER_USER, OPERATOR, NO_TOKEN }

  static Stream<Arguments> table() {
    Stream.Builder<Arguments> rows = Stream.builder();
    Object[][] expected = {
        {Route.LIST, Caller.OWNER, 403}, {Route.LIST, Caller.OTHER_USER, 403},
        {Route.LIST, Caller.OPERATOR, 200}, {Route.LIST, Caller.NO_TOKEN, 401},
        {Route.HISTORY, Caller.OWNER, 200}, {Route.HISTORY, Caller.OTHER_USER, 404},
        {Route.HISTORY, Caller.OPERATOR, 200}, {Route.HISTORY, Caller.NO_TOKEN, 401},
        {Route.CREATE_SAME_ID, Caller.OWNER, 200}, {Route.CREATE_SAME_ID, Caller.OTHER_USER, 409},
        {Route.CREATE_SAME_ID, Caller.OPERATOR, 200}, {Route.CREATE_SAME_ID, Caller.NO_TOKEN, 401}};
    for (Object[] e : expected) {
      rows.add(Arguments.of(e[0], e[1], false, e[2]));
      rows.add(Arguments.of(e[0], e[1], true, e[2]));
    }
    return rows.build();
  }

  @ParameterizedTest(name = "{0} by {1}, balance cached first: {2} -> {3}")
  @MethodSource("table")
  void onlyCallersAllowedToSeeTheAccountGetItsBalanceFields(Route route, Caller caller, boolean warm,
      int expected) {
    String owner = user("fields-owner-" + UUID.randomUUID());
    String group = tag();
    String acct = account(owner, group);
    if (warm) {
      assertThat(api.get("/v1/accounts/" + acct, owner).header("X-Cache")).isEqualTo("L1");
    } else {
      // Primed by the create: a transfer drops it again.
      transfer(owner, account(owner, tag()), acct, "1");
    }
    String token = switch (caller) {
      case OWNER -> owner;
      case OTHER_USER -> user("fields-other");
      case OPERATOR -> operator;
      case NO_TOKEN -> null;
    };
    Answer r = switch (route) {
      case LIST -> api.get("/v1/accounts?user_data_128=" + group, token);
      case HISTORY -> api.get("/v1/accounts/" + acct + "/balances", token);
      case CREATE_SAME_ID -> api.post("/v1/accounts", token, UUID.randomUUID().toString(),
          "{\"id\":\"" + acct + "\",\"ledger\":1,\"code\":1,\"user_data_128\":\"" + group + "\"}");
    };
    assertThat(r.status()).as(r.raw().toString()).isEqualTo(expected);
    if (expected >= 300) {
      assertThat(r.header("ETag")).isNull();
      assertThat(r.header("X-Cache")).isNull();
      assertThat(r.raw().toString()).doesNotContain("credits_posted").doesNotContain("balance_version");
      return;
    }
    switch (route) {
      case LIST -> assertThat(row(r, acct).getString("balance_version")).isNotEmpty();
      case CREATE_SAME_ID -> {
        assertThat(r.header("ETag")).isEqualTo(api.get("/v1/accounts/" + acct, operator).header("ETag"));
        assertThat(r.json().getString("credits_posted")).isEqualTo(warm ? "0" : "1");
      }
      case HISTORY -> assertThat(r.json().getJsonArray("balances")).isNotNull();
    }
  }
}
