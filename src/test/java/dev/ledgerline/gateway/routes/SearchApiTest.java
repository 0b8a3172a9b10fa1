package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.NewEvent;
import dev.ledgerline.events.search.TransferIndexer;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code GET /v1/transactions/search} over one node (gateway and ledger, embedded PostgreSQL): payments reach the
 * index through {@code transaction.updated} (the outbox's consumer), transfers through the committed-transfer feed's
 * indexer. Every answer is checked against /openapi.json by {@link ApiClient}.
 */
class SearchApiTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();
  private static final String U128_MAX = "340282366920938463463374607431768211455";
  private static final AtomicLong NEXT = new AtomicLong(System.currentTimeMillis() % 1_000_000_000L * 1_000_000L);
  private static ApiClient api;
  private static Pool pool;
  private static String alice;
  private static String bob;
  private static String operator;
  private static String admin;
  private static String aliceA;
  private static String aliceB;
  private static String bobA;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    pool = node.get().services().pool();
    alice = node.tokens().issue("search-alice", Role.USER);
    bob = node.tokens().issue("search-bob", Role.USER);
    operator = node.tokens().issue("search-operator", Role.OPERATOR);
    admin = node.tokens().issue("search-admin", Role.ADMIN);
    aliceA = account(alice);
    aliceB = account(alice);
    bobA = account(bob);
    payment("Coffee at Blue Bottle", aliceA, "450", "completed", new JsonObject());
    payment("Coffee beans wholesale order, coffee for the office", aliceA, "9000", "completed", new JsonObject());
    payment("Rent for March", aliceB, "120000", "pending", new JsonObject().put("invoice", "INV-77"));
    payment("Groceries weekly", bobA, "7300", "completed", new JsonObject());
    payment("Bob's coffee", bobA, "500", "failed", new JsonObject());
    // Exact u128 comparison: these two differ by one at 2^128-1, where a double cannot tell them apart.
    payment("Huge transfer max", aliceB, U128_MAX, "completed", new JsonObject());
    payment("Huge transfer max minus one", aliceB, U128_MAX.substring(0, 38) + "4", "completed", new JsonObject());
    transfer(alice, aliceA, bobA, "25");
    transfer(bob, bobA, aliceB, "26");
    transfer(bob, bobA, account(bob), "27");
    Poll.until(Duration.ofSeconds(20), "the fixtures are indexed", () -> count("true") >= 10);
  }

  @Test
  void rankedByRelevanceAndTolerantOfTypos() {
    List<String> coffee = descriptions(search(alice, "q=coffee"));
    // Both of Alice's coffee payments, the one saying it twice first; never Bob's.
    assertThat(coffee).containsExactly("Coffee beans wholesale order, coffee for the office",
        "Coffee at Blue Bottle");
    assertThat(descriptions(search(alice, "q=cofee"))).containsExactlyInAnyOrder(
        "Coffee beans wholesale order, coffee for the office", "Coffee at Blue Bottle");
    assertThat(descriptions(search(bob, "q=grocerys"))).containsExactly("Groceries weekly");
    assertThat(descriptions(search(alice, "q=" + enc("INV-77")))).containsExactly("Rent for March");
    assertThat(search(alice, "q=zzzqqqxxx").getJsonArray("data")).isEmpty();
  }

  @Test
  void filters() {
    assertThat(descriptions(search(alice, "kind=payment&status=pending"))).containsExactly("Rent for March");
    assertThat(ids(search(alice, "kind=transfer"))).hasSize(2);
    assertThat(search(alice, "kind=transfer&status=posted&min_amount=26&max_amount=26").getJsonArray("data"))
        .singleElement().satisfies(o -> assertThat(((JsonObject) o).getString("amount")).isEqualTo("26"));
    assertThat(descriptions(search(alice, "account_id=" + aliceA + "&kind=payment")))
        .containsExactlyInAnyOrder("Coffee at Blue Bottle", "Coffee beans wholesale order, coffee for the office");
    assertThat(descriptions(search(alice, "min_amount=" + U128_MAX))).containsExactly("Huge transfer max");
    assertThat(descriptions(search(alice, "max_amount=" + U128_MAX.substring(0, 38) + "4&min_amount=100000")))
        .containsExactly("Huge transfer max minus one", "Rent for March");
    String now = Instant.now().toString();
    assertThat(search(alice, "from=" + now).getJsonArray("data")).isEmpty();
    assertThat(ids(search(alice, "to=" + enc(now)))).hasSize(ids(search(alice, "limit=100")).size());
  }

  /** Caller × ownership: a user sees only transactions touching their own accounts; operators and admins all. */
  @ParameterizedTest(name = "{0} searching {1} sees {2}")
  @CsvSource(delimiter = '|', textBlock = """
      # caller   | query                      | sees
      alice      | q=coffee                   | Coffee beans wholesale order, coffee for the office;Coffee at Blue Bottle
      bob        | q=coffee                   | Bob's coffee
      stranger   | q=coffee                   |
      operator   | q=coffee                   | Coffee beans wholesale order, coffee for the office;Coffee at Blue Bottle;Bob's coffee
      admin      | q=coffee                   | Coffee beans wholesale order, coffee for the office;Coffee at Blue Bottle;Bob's coffee
      alice      | account_id=BOB_A&kind=payment |
      bob        | account_id=ALICE_A&kind=payment |
      operator   | account_id=BOB_A&kind=payment | Bob's coffee;Groceries weekly
      stranger   | kind=transfer              |
      """)
  void onlyTheCallersOwnAccounts(String caller, String query, String sees) {
    String token = switch (caller) {
      case "alice" -> alice;
      case "bob" -> bob;
      case "operator" -> operator;
      case "admin" -> admin;
      default -> node.tokens().issue("search-stranger", Role.USER);
    };
    JsonObject page = search(token, query.replace("BOB_A", bobA).replace("ALICE_A", aliceA) + "&limit=100");
    List<String> expected = sees == null ? List.of() : List.of(sees.split(";"));
    assertThat(descriptions(page)).containsExactlyInAnyOrderElementsOf(expected);
    if (caller.equals("alice") || caller.equals("bob") || caller.equals("stranger")) {
      String own = caller.equals("alice") ? "search-alice" : caller.equals("bob") ? "search-bob" : "search-stranger";
      for (Object o : page.getJsonArray("data")) {
        assertThat(owners(((JsonObject) o).getJsonArray("account_ids"))).contains(own);
      }
    }
  }

  @Test
  void aTransferBetweenTwoUsersIsSeenByBothAndNobodyElse() {
    String carol = node.tokens().issue("search-carol", Role.USER);
    String dave = node.tokens().issue("search-dave", Role.USER);
    String c = account(carol);
    String d = account(dave);
    String id = transfer(carol, c, d, "31");
    Poll.until(Duration.ofSeconds(10), "the transfer is indexed", () -> count("id = '" + id + "'") == 1);
    assertThat(ids(search(carol, "kind=transfer"))).containsExactly(id);
    assertThat(ids(search(dave, "kind=transfer"))).containsExactly(id);
    assertThat(ids(search(alice, "kind=transfer"))).doesNotContain(id);
    assertThat(ids(search(operator, "kind=transfer&limit=100"))).contains(id);
  }

  @Test
  void pagesAreStableUnderConcurrentInserts() {
    String erin = node.tokens().issue("search-erin", Role.USER);
    String e = account(erin);
    Set<String> before = new HashSet<>();
    for (int i = 0; i < 23; i++) {
      before.add(payment("Paging widget order " + i, e, String.valueOf(100 + i), "completed", new JsonObject()));
    }
    Poll.until(Duration.ofSeconds(20), "erin's payments are indexed", () -> ids(search(erin, "limit=100")).size() == 23);
    for (String query : List.of("kind=payment", "q=widget")) {
      List<String> seen = new ArrayList<>();
      String cursor = null;
      int inserted = 0;
      do {
        JsonObject page = search(erin, query + "&limit=5" + (cursor == null ? "" : "&cursor=" + cursor));
        seen.addAll(ids(page));
        cursor = page.getString("next_cursor");
        // Rows arriving while the client pages (newer, and as relevant) must neither repeat nor shift a page.
        payment("Paging widget order late " + inserted++, e, "1", "completed", new JsonObject());
      } while (cursor != null);
      assertThat(seen).doesNotHaveDuplicates();
      assertThat(seen).containsAll(before);
    }
  }

  @Test
  void aCursorIsBoundToItsCallerAndFilters() {
    JsonObject first = search(operator, "kind=payment&limit=1");
    String cursor = first.getString("next_cursor");
    assertThat(cursor).isNotNull();
    assertThat(search(operator, "kind=payment&limit=1&cursor=" + cursor).getJsonArray("data")).hasSize(1);
    assertThat(api.get(SearchRoutes.PATH + "?kind=transfer&limit=1&cursor=" + cursor, operator).status())
        .isEqualTo(400);
    assertThat(api.get(SearchRoutes.PATH + "?kind=payment&limit=1&cursor=" + cursor, admin).status()).isEqualTo(400);
    String edited = (cursor.charAt(0) == 'A' ? 'B' : 'A') + cursor.substring(1);
    assertThat(api.get(SearchRoutes.PATH + "?kind=payment&limit=1&cursor=" + edited, operator).status())
        .isEqualTo(400);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      min_amount=340282366920938463463374607431768211456
      max_amount=99999999999999999999999999999999999999999999999999
      min_amount=-1
      min_amount=1.5
      min_amount=1e9
      min_amount=007
      account_id=abc
      min_amount=10&max_amount=9
      q=%00
      q=coffee%00
      q=%1b[31m
      q=
      q=%20%20
      from=yesterday
      from=2026-13-01T00:00:00Z
      from=2026-01-01
      from=2026-01-01T00:00:00
      to=99999-01-01T00:00:00Z
      from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z
      limit=0
      limit=101
      limit=-5
      limit=99999999999999999999
      kind=refund
      status=lost
      unknown=1
      kind=payment&kind=transfer
      cursor=not-a-cursor
      cursor=AAAA.AAAA
      q=----------------------------------------
      """)
  void garbageIsRefusedWith400(String query) {
    Answer a = api.get(SearchRoutes.PATH + "?" + query, alice);
    assertThat(a.status()).as("%s -> %s", query, a.raw()).isEqualTo(400);
    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
  }

  /**
   * A search that runs longer than search.statement-timeout (2 s; here it waits for a lock, which counts too) is
   * cancelled in PostgreSQL and answered 422, so no caller can make PostgreSQL rank without end.
   */
  @Test
  void aSearchPastTheStatementTimeoutIsCancelledAndAnswered422() {
    var conn = pool.getConnection().await();
    try {
      conn.query("BEGIN").execute().await();
      conn.query("LOCK TABLE transaction_search IN ACCESS EXCLUSIVE MODE").execute().await();
      Answer a = api.get(SearchRoutes.PATH + "?q=coffee", alice);
      assertThat(a.status()).as(a.raw().toString()).isEqualTo(422);
      assertThat(a.json().getString("type")).isEqualTo(SearchRoutes.TYPE_TOO_BROAD);
    } finally {
      conn.query("ROLLBACK").execute().await();
      conn.close().await();
    }
    assertThat(api.get(SearchRoutes.PATH + "?q=coffee", alice).status()).isEqualTo(200);
  }

  /**
   * Searches beyond what the search connections serve are turned away at once (503, Retry-After), not queued without
   * bound: with every connection held by a lock, the ones past the waiting room are refused while the rest wait.
   */
  @Test
  void searchesBeyondTheWaitingRoomAreTurnedAwayAt503() {
    var conn = pool.getConnection().await();
    List<io.vertx.core.Future<io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer>>> answers =
        new java.util.ArrayList<>();
    // Enough connections to the gateway for every search to be in flight at once (the client's default is 5).
    var web = io.vertx.ext.web.client.WebClient.create(node.client(),
        new io.vertx.ext.web.client.WebClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(32));
    try {
      conn.query("BEGIN").execute().await();
      conn.query("LOCK TABLE transaction_search IN ACCESS EXCLUSIVE MODE").execute().await();
      for (int i = 0; i < 4 * 5 + 3; i++) {
        answers.add(web.get(node.gatewayPort(), "127.0.0.1", SearchRoutes.PATH + "?q=coffee")
            .putHeader("Authorization", "Bearer " + alice).send());
      }
      Poll.until(Duration.ofSeconds(10), "the searches past the waiting room are answered",
          () -> answers.stream().filter(io.vertx.core.Future::isComplete).count() >= 3);
    } finally {
      conn.query("ROLLBACK").execute().await();
      conn.close().await();
    }
    io.vertx.core.Future.join(answers).await();
    List<Integer> statuses = answers.stream().map(f -> f.result().statusCode()).toList();
    assertThat(statuses).as("%s", statuses).contains(503).doesNotContain(500).allMatch(s -> s == 200 || s == 422
        || s == 503);
    assertThat(answers.stream().filter(f -> f.result().statusCode() == 503).allMatch(f ->
        "1".equals(f.result().getHeader("Retry-After")))).isTrue();
    assertThat(api.get(SearchRoutes.PATH + "?q=coffee", alice).status()).isEqualTo(200);
  }

  @Test
  void aLongQueryIsRefusedAndNoTokenIs401() {
    assertThat(api.get(SearchRoutes.PATH + "?q=" + "a".repeat(201), alice).status()).isEqualTo(400);
    assertThat(api.get(SearchRoutes.PATH + "?q=x", null).status()).isEqualTo(401);
  }

  /**
   * The indexer is stopped, transfers commit meanwhile, and a new indexer (as after a restart) catches up from the
   * cursor in PostgreSQL. Then the commit-to-searchable lag of sequential transfers is measured.
   */
  @Test
  void catchesUpAfterTheIndexerWasStoppedAndIndexesWithinASecond() {
    String frank = node.tokens().issue("search-frank", Role.USER);
    String f1 = account(frank);
    String f2 = account(frank);
    TransferIndexer running = node.get().indexer();
    running.stop().await();
    long cursorBefore = cursor();
    List<String> missed = new ArrayList<>();
    for (int i = 0; i < 40; i++) missed.add(transfer(frank, f1, f2, String.valueOf(i + 1)));
    assertThat(count("id IN (" + quoted(missed) + ")")).isZero();
    assertThat(cursor()).isEqualTo(cursorBefore);

    TransferIndexer restarted = TransferIndexer.create(node.get().vertx(), pool, node.config().current(), new SimpleMeterRegistry());
    restarted.start().await();
    Poll.until(Duration.ofSeconds(20), "the missed transfers are indexed",
        () -> count("id IN (" + quoted(missed) + ")") == missed.size());
    assertThat(ids(search(frank, "kind=transfer&limit=100"))).containsAll(missed);
    restarted.stop().await();
    running.start().await();

    List<String> timed = new ArrayList<>();
    for (int i = 0; i < 200; i++) timed.add(transfer(frank, f1, f2, "7"));
    Poll.until(Duration.ofSeconds(20), "the timed transfers are indexed",
        () -> count("id IN (" + quoted(timed) + ")") == timed.size());
    Row lag = pool.query("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP "
        + "(ORDER BY ms), max(ms) FROM (SELECT extract(epoch FROM indexed_at - created_at) * 1000 AS ms "
        + "FROM transaction_search WHERE id IN (" + quoted(timed) + ")) l").execute().await().iterator().next();
    System.out.printf("search index lag over %d sequential transfers: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
        timed.size(), lag.getDouble(0), lag.getDouble(1), lag.getDouble(2));
    assertThat(lag.getDouble(1)).isLessThan(1000.0);
  }

  /**
   * Pending transfers and the posts and voids that resolve them, committed while the indexer was stopped so that one
   * page (one statement each for the rows and the resolutions) carries them all: each pending row ends with its
   * resolution's status, and a pending transfer left alone stays pending.
   */
  @Test
  void pendingTransfersFollowTheirPostsAndVoidsWithinOnePage() {
    String gina = node.tokens().issue("search-gina", Role.USER);
    String g1 = account(gina);
    String g2 = account(gina);
    TransferIndexer running = node.get().indexer();
    running.stop().await();
    List<String> posted = new ArrayList<>();
    List<String> voided = new ArrayList<>();
    List<String> resolutions = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      posted.add(transfer(gina, g1, g2, "40", ",\"flags\":[\"pending\"]"));
      voided.add(transfer(gina, g1, g2, "41", ",\"flags\":[\"pending\"]"));
    }
    String open = transfer(gina, g1, g2, "42", ",\"flags\":[\"pending\"]");
    for (int i = 0; i < 3; i++) {
      resolutions.add(transfer(gina, g1, g2, "40", ",\"pending_id\":\"" + posted.get(i)
          + "\",\"flags\":[\"post_pending_transfer\"]"));
      resolutions.add(transfer(gina, g1, g2, "0", ",\"pending_id\":\"" + voided.get(i)
          + "\",\"flags\":[\"void_pending_transfer\"]"));
    }
    running.start().await();
    Poll.until(Duration.ofSeconds(20), "the page is indexed",
        () -> count("id IN (" + quoted(resolutions) + ")") == resolutions.size());
    assertThat(count("id IN (" + quoted(posted) + ") AND status = 'posted'")).isEqualTo(3);
    assertThat(count("id IN (" + quoted(voided) + ") AND status = 'voided'")).isEqualTo(3);
    assertThat(count("id = '" + open + "' AND status = 'pending'")).isEqualTo(1);
    // The resolutions' own rows: a post is posted, a void is voided.
    assertThat(count("id IN (" + quoted(resolutions) + ") AND status = 'posted'")).isEqualTo(3);
    assertThat(count("id IN (" + quoted(resolutions) + ") AND status = 'voided'")).isEqualTo(3);
    assertThat(ids(search(gina, "kind=transfer&status=voided&limit=100"))).containsAll(voided);
  }

  // --- helpers

  private static JsonObject search(String token, String query) {
    Answer a = api.get(SearchRoutes.PATH + "?" + query, token);
    assertThat(a.status()).as("%s -> %s", query, a.raw()).isEqualTo(200);
    return a.json();
  }

  private static List<String> descriptions(JsonObject page) {
    List<String> out = new ArrayList<>();
    for (Object o : page.getJsonArray("data")) {
      JsonObject row = (JsonObject) o;
      if (row.getString("kind").equals("payment")) out.add(row.getString("description"));
    }
    return out;
  }

  private static List<String> ids(JsonObject page) {
    List<String> out = new ArrayList<>();
    for (Object o : page.getJsonArray("data")) out.add(((JsonObject) o).getString("id"));
    return out;
  }

  private static Set<String> owners(JsonArray accounts) {
    Set<String> out = new HashSet<>();
    for (Object a : accounts) {
      for (Row r : pool.preparedQuery("SELECT owner FROM account_owners WHERE account_id = $1::text::numeric")
          .execute(Tuple.of(a)).await()) {
        out.add(r.getString(0));
      }
    }
    return out;
  }

  private static String account(String token) {
    Answer a = api.post("/v1/accounts", token, UUID.randomUUID().toString(), "{\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static String transfer(String token, String debit, String credit, String amount) {
    return transfer(token, debit, credit, amount, "");
  }

  /** {@code more}: further fields, each with its leading comma. */
  private static String transfer(String token, String debit, String credit, String amount, String more) {
    String id = String.valueOf(NEXT.incrementAndGet());
    Answer a = api.post("/v1/transfers", token, UUID.randomUUID().toString(), "{\"id\":\"" + id
        + "\",\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":\""
        + amount + "\",\"ledger\":1,\"code\":1" + more + "}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return id;
  }

  /** A payment's snapshot through the outbox, as the payment saga publishes it; the row follows from the consumer. */
  private static String payment(String description, String account, String amount, String status,
      JsonObject metadata) {
    String id = UUID.randomUUID().toString();
    String now = Instant.now().toString();
    JsonObject snapshot = new JsonObject().put("id", id).put("version", 1).put("kind", "payment")
        .put("status", status).put("account_ids", new JsonArray().add(account)).put("amount", amount)
        .put("ledger", 1).put("code", 1).put("description", description).put("metadata", metadata)
        .put("created_at", now).put("updated_at", now);
    EventPublisher events = EventPublisher.create(node.config().current());
    pool.withTransaction(conn -> events.publish(conn, NewEvent.of("transaction.updated", "payment:" + id,
        "search-test", snapshot))).await();
    return id;
  }

  private static long count(String where) {
    return pool.query("SELECT count(*) FROM transaction_search WHERE " + where).execute().await().iterator().next()
        .getLong(0);
  }

  private static long cursor() {
    return pool.preparedQuery("SELECT max(position) FROM ledger_feed_cursors WHERE consumer = $1")
        .execute(Tuple.of(TransferIndexer.CONSUMER)).await().iterator().next().getLong(0);
  }

  private static String quoted(List<String> ids) {
    return String.join(",", ids.stream().map(i -> "'" + i + "'").toList());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
