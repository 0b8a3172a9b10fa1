package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.auth.TokenSources;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hc.client5.http.cache.CacheResponseStatus;
import org.apache.hc.client5.http.cache.HttpCacheContext;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.cache.CacheConfig;
import org.apache.hc.client5.http.impl.cache.CachingHttpClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GET /v1/accounts/{id} through the balance cache on one node (embedded ledger, PostgreSQL and Redis): who gets a
 * cached balance, validators and 304s, read-through, invalidation after a transfer, and what RFC 9111 caches
 * (Apache httpclient5-cache, private and shared) do with the answers; then the other answers with balance fields
 * (the created account, the operators' list, history), each from the cache with its version and age.
 */
class BalanceCacheHttpTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND)
      .set("cache.debug-headers", "true").build();
  private static ApiClient api;
  private static String operator;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    operator = node.tokens().issue("operator", Role.OPERATOR);
  }

  private static String user(String sub) {
    return node.tokens().issue(sub, Role.USER);
  }

  private static String account(String token) {
    Answer a = api.post("/v1/accounts", token, null, "{\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static void transfer(String token, String debit, String credit, String amount) {
    Answer a = api.post("/v1/transfers", token, UUID.randomUUID().toString(), "{\"debit_account_id\":\"" + debit
        + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":\"" + amount + "\",\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
  }

  private static HttpResponse<Buffer> get(String path, String token, Map<String, String> headers) {
    HttpRequest<Buffer> r = node.web().get(node.gatewayPort(), "127.0.0.1", path);
    if (token != null) {
      r.putHeader("Authorization", "Bearer " + token);
    }
    headers.forEach(r::putHeader);
    HttpResponse<Buffer> resp = r.send().await();
    api.conforms(io.vertx.core.http.HttpMethod.GET, path.replaceAll("\\?.*", ""), new Answer(resp.statusCode(),
        resp.headers(), resp.body() == null ? Buffer.buffer() : resp.body()));
    return resp;
  }

  // ---- BOLA: a cached balance is never served to another user ----

  enum Caller { OWNER, OTHER_USER, OPERATOR, NO_TOKEN }

  static Stream<Arguments> callers() {
    return Stream.of(
        Arguments.of(Caller.OWNER, false, 200), Arguments.of(Caller.OWNER, true, 200),
        Arguments.of(Caller.OTHER_USER, false, 404), Arguments.of(Caller.OTHER_USER, true, 404),
        Arguments.of(Caller.OPERATOR, false, 200), Arguments.of(Caller.OPERATOR, true, 200),
        Arguments.of(Caller.NO_TOKEN, false, 401), Arguments.of(Caller.NO_TOKEN, true, 401));
  }

  @ParameterizedTest(name = "{0}, balance cached first: {1} -> {2}")
  @MethodSource("callers")
  void onlyCallersAllowedToReadTheAccountGetItsCachedBalance(Caller caller, boolean warm, int expected) {
    String owner = user("bola-owner-" + UUID.randomUUID());
    String acct = account(owner);
    if (warm) {
      HttpResponse<Buffer> first = get("/v1/accounts/" + acct, owner, Map.of());
      assertThat(first.statusCode()).isEqualTo(200);
      String etag = first.getHeader("ETag");
      assertThat(get("/v1/accounts/" + acct, owner, Map.of()).getHeader("X-Cache")).isEqualTo("L1");
      // A known version does not turn a refused read into a 304 either.
      if (caller != Caller.OWNER && caller != Caller.OPERATOR) {
        HttpResponse<Buffer> r = get("/v1/accounts/" + acct, token(caller), Map.of("If-None-Match", etag));
        assertThat(r.statusCode()).isEqualTo(expected);
        assertThat(r.getHeader("ETag")).isNull();
      }
    } else {
      // The create primed the cache; a transfer drops the balance again.
      transfer(owner, account(owner), acct, "1");
    }
    HttpResponse<Buffer> r = get("/v1/accounts/" + acct, caller == Caller.OWNER ? owner : token(caller), Map.of());
    assertThat(r.statusCode()).isEqualTo(expected);
    if (expected == 200) {
      assertThat(r.bodyAsJsonObject().getString("id")).isEqualTo(acct);
      assertThat(r.getHeader("X-Cache")).isEqualTo(warm ? "L1" : "miss");
    } else {
      assertThat(r.getHeader("ETag")).isNull();
      assertThat(r.getHeader("X-Cache")).isNull();
      assertThat(r.bodyAsString()).doesNotContain("credits_posted");
      assertThat(r.getHeader("Cache-Control")).isEqualTo("no-store");
    }
  }

  private static String token(Caller c) {
    return switch (c) {
      case OWNER -> throw new IllegalStateException("the owner's token is made per case");
      case OTHER_USER -> user("bola-other");
      case OPERATOR -> operator;
      case NO_TOKEN -> null;
    };
  }

  // ---- validators, freshness, read-through ----

  @Test
  void answersCarryVersionAgeAndPrivateFreshnessAndAKnownVersionGets304() {
    String kim = user("kim-" + UUID.randomUUID());
    String acct = account(kim);
    HttpResponse<Buffer> first = get("/v1/accounts/" + acct, kim, Map.of());
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.getHeader("X-Cache")).as("primed by the create").isEqualTo("L1");
    String etag = first.getHeader("ETag");
    assertThat(etag).as("the version and a checksum of the balances").matches("\"[0-9]+-[0-9a-f]+\"");
    assertThat(first.getHeader("Cache-Control")).matches("private, max-age=(29|30)");
    assertThat(first.getHeader("Vary")).isEqualTo("Authorization, Cookie");
    assertThat(first.getHeader("Age")).isEqualTo("0");

    HttpResponse<Buffer> again = get("/v1/accounts/" + acct, kim, Map.of("If-None-Match", etag));
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.getHeader("X-Cache")).isEqualTo("L1");
    assertThat(again.getHeader("ETag")).isEqualTo(etag);
    assertThat(again.body() == null ? 0 : again.body().length()).isZero();
    assertThat(get("/v1/accounts/" + acct, kim, Map.of("If-None-Match", "W/" + etag)).statusCode()).isEqualTo(304);
    assertThat(get("/v1/accounts/" + acct, kim, Map.of("If-None-Match", "\"1\"")).statusCode()).isEqualTo(200);

    // Read-through: the ledger answers, and still 304 when the version is unchanged.
    HttpResponse<Buffer> through = get("/v1/accounts/" + acct + "?consistent=true", kim, Map.of());
    assertThat(through.getHeader("X-Cache")).isEqualTo("miss");
    assertThat(through.getHeader("ETag")).isEqualTo(etag);
    HttpResponse<Buffer> noCache = get("/v1/accounts/" + acct, kim, Map.of("Cache-Control", "no-cache",
        "If-None-Match", etag));
    assertThat(noCache.statusCode()).isEqualTo(304);
    assertThat(noCache.getHeader("X-Cache")).isEqualTo("miss");
    HttpResponse<Buffer> bad = get("/v1/accounts/" + acct + "?consistent=maybe", kim, Map.of());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.getHeader("Content-Type")).isEqualTo("application/problem+json");
  }

  @Test
  void theBalanceTtlIsReloadable() {
    String jo = user("jo-" + UUID.randomUUID());
    String acct = account(jo);
    node.config().reload(new io.vertx.core.json.JsonObject().put("cache", new io.vertx.core.json.JsonObject()
        .put("balance", new io.vertx.core.json.JsonObject().put("ttl", "12s"))));
    try {
      // A read-through stores the balance with the TTL in force: the answer's freshness shows it.
      Poll.until(Duration.ofSeconds(10), "the reloaded TTL applies", () -> get("/v1/accounts/" + acct
          + "?consistent=true", jo, Map.of()).getHeader("Cache-Control").matches("private, max-age=(11|12)"));
    } finally {
      node.config().reload(new io.vertx.core.json.JsonObject());
    }
    Poll.until(Duration.ofSeconds(10), "the default TTL is back", () -> get("/v1/accounts/" + acct
        + "?consistent=true", jo, Map.of()).getHeader("Cache-Control").matches("private, max-age=(29|30)"));
  }

  /**
   * A pending transfer's expiry changes both balances without a transfer of its own: the cached balances are dropped
   * when it is due, not left to the 30 s TTL, and the new balance has another ETag although its version is the same.
   */
  @Test
  void anExpiredHoldLeavesTheCachedBalancesSoonAfterItsTimeout() {
    String lee = user("lee-" + UUID.randomUUID());
    String a = account(lee);
    String b = account(lee);
    hold(lee, a, b, ",\"timeout\":1");
    HttpResponse<Buffer> before = cachedInL1(a, lee);
    assertThat(before.bodyAsJsonObject().getString("debits_pending")).isEqualTo("40");
    assertThat(get("/v1/accounts/" + b, lee, Map.of()).bodyAsJsonObject().getString("credits_pending"))
        .isEqualTo("40");
    String etag = before.getHeader("ETag");

    Poll.until(Duration.ofSeconds(10), "the expired hold leaves the cached balance", () -> "0".equals(
        get("/v1/accounts/" + a, lee, Map.of()).bodyAsJsonObject().getString("debits_pending")));
    HttpResponse<Buffer> after = get("/v1/accounts/" + a, lee, Map.of("If-None-Match", etag));
    assertThat(after.statusCode()).as("the old ETag never validates the changed balance").isEqualTo(200);
    assertThat(after.getHeader("ETag")).isNotEqualTo(etag);
    assertThat(after.getHeader("ETag").replaceAll("-.*", "")).isEqualTo(etag.replaceAll("-.*", ""));
    assertThat(get("/v1/accounts/" + b, lee, Map.of()).bodyAsJsonObject().getString("credits_pending"))
        .isEqualTo("0");
  }

  /** A pending transfer of 40 from {@code debit} to {@code credit}; {@code more} adds fields to its body. */
  private static Answer hold(String token, String debit, String credit, String more) {
    Answer held = api.post("/v1/transfers", token, UUID.randomUUID().toString(), "{\"debit_account_id\":\"" + debit
        + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":\"40\",\"ledger\":1,\"code\":1,"
        + "\"flags\":[\"pending\"]" + more + "}");
    assertThat(held.status()).as(held.raw().toString()).isEqualTo(201);
    return held;
  }

  /**
   * Reads until this node's L1 answers: the committed-transfer feed may drop the balance a read just cached, when the
   * write's own feed event comes after that read.
   */
  private static HttpResponse<Buffer> cachedInL1(String account, String token) {
    java.util.concurrent.atomic.AtomicReference<HttpResponse<Buffer>> last =
        new java.util.concurrent.atomic.AtomicReference<>();
    Poll.until(Duration.ofSeconds(10), account + " in L1", () -> {
      last.set(get("/v1/accounts/" + account, token, Map.of()));
      return "L1".equals(last.get().getHeader("X-Cache"));
    });
    return last.get();
  }

  /**
   * A post names no account (TigerBeetle takes the pending transfer's): the write still drops both accounts' cached
   * balances before its answer, so the next plain read is the ledger's, not the hold's. (The committed-transfer feed
   * usually drops them within that time too, so this end-to-end check alone would seldom catch a write that drops the
   * wrong keys: {@code TransferAuthorizerTouchedTest} pins which accounts the write drops.)
   */
  @Test
  void aPostNamingNoAccountDropsItsPendingTransfersBalancesAtOnce() {
    String lee = user("lee-" + UUID.randomUUID());
    String a = account(lee);
    String b = account(lee);
    Answer held = hold(lee, a, b, "");
    cachedInL1(a, lee);
    cachedInL1(b, lee);

    Answer posted = api.post("/v1/transfers", lee, UUID.randomUUID().toString(), "{\"pending_id\":\""
        + held.json().getString("id") + "\",\"amount\":\"40\",\"flags\":[\"post_pending_transfer\"]}");
    assertThat(posted.status()).as(posted.raw().toString()).isEqualTo(201);
    HttpResponse<Buffer> payer = get("/v1/accounts/" + a, lee, Map.of());
    assertThat(payer.getHeader("X-Cache")).isEqualTo("miss");
    assertThat(payer.bodyAsJsonObject().getString("debits_pending")).isEqualTo("0");
    assertThat(payer.bodyAsJsonObject().getString("debits_posted")).isEqualTo("40");
    HttpResponse<Buffer> payee = get("/v1/accounts/" + b, lee, Map.of());
    assertThat(payee.getHeader("X-Cache")).isEqualTo("miss");
    assertThat(payee.bodyAsJsonObject().getString("credits_posted")).isEqualTo("40");
  }

  @Test
  void aTransferChangesTheVersionAndTheCachedBalanceAtOnce() {
    String lee = user("lee-" + UUID.randomUUID());
    String a = account(lee);
    String b = account(lee);
    HttpResponse<Buffer> before = get("/v1/accounts/" + b, lee, Map.of());
    assertThat(get("/v1/accounts/" + b, lee, Map.of()).getHeader("X-Cache")).isEqualTo("L1");
    String etag = before.getHeader("ETag");

    transfer(lee, a, b, "25");
    HttpResponse<Buffer> after = get("/v1/accounts/" + b, lee, Map.of("If-None-Match", etag));
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(after.bodyAsJsonObject().getString("credits_posted")).isEqualTo("25");
    assertThat(after.getHeader("ETag")).isNotEqualTo(etag);
    assertThat(after.getHeader("X-Cache")).isEqualTo("miss");
    assertThat(get("/v1/accounts/" + a, lee, Map.of()).bodyAsJsonObject().getString("debits_posted"))
        .isEqualTo("25");
  }

  @Test
  void aTransferMadeElsewhereDropsTheCachedBalanceThroughTheCommittedFeed() {
    String ana = user("ana-" + UUID.randomUUID());
    String a = account(ana);
    String b = account(ana);
    get("/v1/accounts/" + b, ana, Map.of());
    assertThat(get("/v1/accounts/" + b, ana, Map.of()).getHeader("X-Cache")).isEqualTo("L1");
    // Straight to the ledger, as another node or the payment saga would write: only the feed tells this node.
    dev.ledgerline.ledger.LedgerClient ledger = node.get().gateway().ledger();
    var t = new dev.ledgerline.ledger.model.Transfer(dev.ledgerline.ledger.model.Ids.next(),
        dev.ledgerline.ledger.model.UInt128.parse(a), dev.ledgerline.ledger.model.UInt128.parse(b),
        dev.ledgerline.ledger.model.UInt128.of(7), dev.ledgerline.ledger.model.UInt128.ZERO,
        dev.ledgerline.ledger.model.UInt128.ZERO, 0, 0, 0, 1, 1, 0, 0);
    assertThat(ledger.createTransfers(java.util.List.of(t)).await()).isEmpty();
    Poll.until(Duration.ofSeconds(10), "the committed feed drops the cached balance",
        () -> "7".equals(get("/v1/accounts/" + b, ana, Map.of()).bodyAsJsonObject().getString("credits_posted")));
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

  /** The version part of the balance's ETag ({@code "<version>-<checksum>"}). */
  private static String version(Answer single) {
    return single.header("ETag").replace("\"", "").replaceAll("-.*", "");
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

  // ---- balance fields outside GET /v1/accounts/{id} (docs/caching.md, "Balance fields everywhere") ----

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

  enum FieldsRoute { LIST, HISTORY, CREATE_SAME_ID }

  static Stream<Arguments> fieldsTable() {
    Stream.Builder<Arguments> rows = Stream.builder();
    Object[][] expected = {
        {FieldsRoute.LIST, Caller.OWNER, 403}, {FieldsRoute.LIST, Caller.OTHER_USER, 403},
        {FieldsRoute.LIST, Caller.OPERATOR, 200}, {FieldsRoute.LIST, Caller.NO_TOKEN, 401},
        {FieldsRoute.HISTORY, Caller.OWNER, 200}, {FieldsRoute.HISTORY, Caller.OTHER_USER, 404},
        {FieldsRoute.HISTORY, Caller.OPERATOR, 200}, {FieldsRoute.HISTORY, Caller.NO_TOKEN, 401},
        {FieldsRoute.CREATE_SAME_ID, Caller.OWNER, 200}, {FieldsRoute.CREATE_SAME_ID, Caller.OTHER_USER, 409},
        {FieldsRoute.CREATE_SAME_ID, Caller.OPERATOR, 200}, {FieldsRoute.CREATE_SAME_ID, Caller.NO_TOKEN, 401}};
    for (Object[] e : expected) {
      rows.add(Arguments.of(e[0], e[1], false, e[2]));
      rows.add(Arguments.of(e[0], e[1], true, e[2]));
    }
    return rows.build();
  }

  @ParameterizedTest(name = "{0} by {1}, balance cached first: {2} -> {3}")
  @MethodSource("fieldsTable")
  void onlyCallersAllowedToSeeTheAccountGetItsBalanceFields(FieldsRoute route, Caller caller, boolean warm,
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
    String token = caller == Caller.OWNER ? owner : token(caller);
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

  // ---- RFC 9111 caches ----

  @Test
  void aPrivateClientCacheKeepsTheBalanceWhileFreshAndASharedCacheNeverStoresIt() throws Exception {
    String max = user("max-" + UUID.randomUUID());
    String acct = account(max);
    String url = "http://127.0.0.1:" + node.gatewayPort() + "/v1/accounts/" + acct;
    try (CloseableHttpClient client = CachingHttpClients.custom()
        .setCacheConfig(CacheConfig.custom().setSharedCache(false).build()).build()) {
      // The token as the browser's cookie: httpclient5-cache keeps no Authorization header with a stored answer,
      // so an answer that varies on it is never reused for a request that carries one (it is fetched again).
      assertThat(fetch(client, url, Credential.cookie(max), null)).isEqualTo(CacheResponseStatus.CACHE_MISS);
      assertThat(fetch(client, url, Credential.cookie(max), null)).isEqualTo(CacheResponseStatus.CACHE_HIT);
    }
    try (CloseableHttpClient shared = CachingHttpClients.custom()
        .setCacheConfig(CacheConfig.custom().setSharedCache(true).build()).build()) {
      assertThat(fetch(shared, url, Credential.cookie(max), null)).isEqualTo(CacheResponseStatus.CACHE_MISS);
      assertThat(fetch(shared, url, Credential.cookie(max), null)).as("private: not stored by a shared cache")
          .isEqualTo(CacheResponseStatus.CACHE_MISS);
    }
  }

  @Test
  void aStaleAnswerIsRevalidatedThroughTheClientCacheAndTheNodeAnswers304() throws Exception {
    String ivy = user("ivy-" + UUID.randomUUID());
    String acct = account(ivy);
    String url = "http://127.0.0.1:" + node.gatewayPort() + "/v1/accounts/" + acct;
    try (CloseableHttpClient client = CachingHttpClients.custom()
        .setCacheConfig(CacheConfig.custom().setSharedCache(false).build()).build()) {
      Credential cookie = Credential.cookie(ivy);
      assertThat(fetch(client, url, cookie, null)).isEqualTo(CacheResponseStatus.CACHE_MISS);
      assertThat(fetch(client, url, cookie, null)).isEqualTo(CacheResponseStatus.CACHE_HIT);
      // With the request's max-age=0 the stored answer is stale once it is a second old (Date and Age count
      // seconds): the cache then sends If-None-Match with the stored ETag, and the node's 304 validates its copy.
      Poll.until(Duration.ofSeconds(10), "the client cache revalidates its stale copy with a 304",
          () -> fetch(client, url, cookie, "max-age=0") == CacheResponseStatus.VALIDATED);
      // A transfer changes the version: the revalidation then brings the new balance, not a 304 (within the second
      // of the last validation the stored copy is still fresh for max-age=0, so this may take one more request).
      String other = account(ivy);
      transfer(ivy, other, acct, "3");
      Poll.until(Duration.ofSeconds(10), "the revalidation brings the new balance", () -> {
        HttpGet get = new HttpGet(url);
        get.addHeader(cookie.header(), cookie.value());
        get.addHeader("Cache-Control", "max-age=0");
        HttpCacheContext ctx = HttpCacheContext.create();
        String body = client.execute(get, ctx, r -> EntityUtils.toString(r.getEntity()));
        return ctx.getCacheResponseStatus() != CacheResponseStatus.CACHE_HIT
            && "3".equals(new io.vertx.core.json.JsonObject(body).getString("credits_posted"));
      });
    }
  }

  @Test
  void aSharedCacheStoresThePublicCatalogAndNeverAUsersTransactionOrBalance() throws Exception {
    String base = "http://127.0.0.1:" + node.gatewayPort();
    String sam = user("sam-" + UUID.randomUUID());
    String a = account(sam);
    String b = account(sam);
    String transferId = String.valueOf(Math.abs(UUID.randomUUID().getMostSignificantBits()));
    Answer t = api.post("/v1/transfers", sam, UUID.randomUUID().toString(), "{\"id\":\"" + transferId
        + "\",\"debit_account_id\":\"" + a + "\",\"credit_account_id\":\"" + b
        + "\",\"amount\":\"1\",\"ledger\":1,\"code\":1}");
    assertThat(t.status()).as(t.raw().toString()).isEqualTo(201);
    // The OpenAPI document is larger than the cache's default object bound (8 KiB).
    try (CloseableHttpClient shared = CachingHttpClients.custom()
        .setCacheConfig(CacheConfig.custom().setSharedCache(true).setMaxObjectSize(4 << 20).build()).build()) {
      for (String path : java.util.List.of("/openapi.json", InstitutionRoutes.PATH + "?count=2")) {
        assertThat(fetch(shared, base + path, null, null)).as(path).isEqualTo(CacheResponseStatus.CACHE_MISS);
        assertThat(fetch(shared, base + path, null, null)).as(path + ": public, stored").isEqualTo(
            CacheResponseStatus.CACHE_HIT);
      }
      for (String path : java.util.List.of("/v1/accounts/" + a, "/v1/transfers/" + transferId)) {
        for (Credential c : java.util.List.of(Credential.bearer(sam), Credential.cookie(sam))) {
          assertThat(fetch(shared, base + path, c, null)).as(path).isEqualTo(CacheResponseStatus.CACHE_MISS);
          assertThat(fetch(shared, base + path, c, null)).as(path + ": private, never stored by a shared cache")
              .isEqualTo(CacheResponseStatus.CACHE_MISS);
        }
      }
    }
  }

  /** How a request carries its token: the header, or the browser's cookie. */
  record Credential(String header, String value) {
    static Credential bearer(String token) {
      return new Credential("Authorization", "Bearer " + token);
    }

    static Credential cookie(String token) {
      return new Credential("Cookie", TokenSources.COOKIE + "=" + token);
    }
  }

  /** A 200 through the client cache; what the cache did. */
  private static CacheResponseStatus fetch(CloseableHttpClient client, String url, Credential credential,
      String cacheControl) throws Exception {
    HttpGet get = new HttpGet(url);
    if (credential != null) {
      get.addHeader(credential.header(), credential.value());
    }
    if (cacheControl != null) {
      get.addHeader("Cache-Control", cacheControl);
    }
    HttpCacheContext ctx = HttpCacheContext.create();
    int status = client.execute(get, ctx, r -> {
      EntityUtils.consume(r.getEntity());
      return r.getCode();
    });
    assertThat(status).isEqualTo(200);
    return ctx.getCacheResponseStatus();
  }

  @Test
  void theInvalidationDelayIsMeasured() {
    String zoe = user("zoe-" + UUID.randomUUID());
    String a = account(zoe);
    String b = account(zoe);
    for (int i = 0; i < 200; i++) {
      transfer(zoe, a, b, "1");
    }
    Poll.until(Duration.ofSeconds(10), "the delay histogram has the samples",
        () -> delayCount() >= 200);
    String metrics = node.web().get(node.managementPort(), "127.0.0.1", "/metrics").send().await().bodyAsString();
    metrics.lines().filter(l -> l.startsWith("ledgerline_cache_invalidation_delay_seconds") && !l.contains("_bucket")
        || l.startsWith("ledgerline_cache_invalidation_delay_seconds_max")).forEach(l -> System.out.println(
        "invalidation delay (committed transfer to balances dropped, one node): " + l));
  }

  private static double delayCount() {
    String metrics = node.web().get(node.managementPort(), "127.0.0.1", "/metrics").send().await().bodyAsString();
    return metrics.lines().filter(l -> l.startsWith("ledgerline_cache_invalidation_delay_seconds_count"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }
}
