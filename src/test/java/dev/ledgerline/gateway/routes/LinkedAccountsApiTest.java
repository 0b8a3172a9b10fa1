package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Tokens;
import dev.ledgerline.users.Role;
import dev.ledgerline.vault.KeyRing;
import dev.ledgerline.vault.TokenVault;
import dev.ledgerline.vault.VaultException;
import dev.ledgerline.vault.VaultToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * The linked-accounts API over real HTTP against one gateway node on embedded PostgreSQL, its embedded Plaid sandbox
 * and its token vault: the flow end to end, every route × every kind of caller, garbage input, stale balances
 * during an injected outage, and the access token's absence from every answer, log line and metric. Every answer is
 * checked against /openapi.json by {@link ApiClient}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LinkedAccountsApiTest {
  /** Every log event of the run, from before the node starts: the access tokens must appear in none. */
  private static final ListAppender<ILoggingEvent> LOGS = captureLogs();

  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND)
      // Outages here are about stale reads, not about opening the breaker (ProviderBreakerTest covers that).
      .set("providers.breaker.failure-threshold", "1000").build();

  private static ApiClient api;
  private static WebClient sandboxWeb;
  private static String sandbox;
  /** Every access token the vault held during the run. */
  private static final Set<String> ACCESS_TOKENS = ConcurrentHashMap.newKeySet();
  private static final List<Buffer> ANSWERS = new ArrayList<>();

  private static ListAppender<ILoggingEvent> captureLogs() {
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    // Everything Ledgerline would log at any level.
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.ledgerline")).setLevel(Level.TRACE);
    return appender;
  }

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    sandboxWeb = WebClient.create(node.client());
    sandbox = node.get().providers().baseUrl();
  }

  @AfterEach
  void noFaults() {
    assertThat(sandboxWeb.deleteAbs(sandbox + "/sandbox/faults").send().await().statusCode()).isEqualTo(200);
  }

  // ---- helpers ----

  private static String user(String sub) {
    return node.tokens().issue(sub, Role.USER);
  }

  private static String publicToken() {
    HttpResponse<Buffer> r = sandboxWeb.postAbs(sandbox + "/sandbox/public_token/create")
        .sendJsonObject(new JsonObject().put("client_id", SandboxSettings.DEVELOPMENT_CLIENT_ID)
            .put("secret", SandboxSettings.DEVELOPMENT_SECRET).put("institution_id", "ins_109508")
            .put("initial_products", new JsonArray().add("transfer"))).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getString("public_token");
  }

  private static Answer record(Answer a) {
    synchronized (ANSWERS) {
      ANSWERS.add(a.raw());
    }
    return a;
  }

  private static Answer post(String token, String body) {
    return record(api.post(LinkedAccountRoutes.PATH, token, UUID.randomUUID().toString(), body));
  }

  private static Answer get(String path, String token) {
    return record(api.get(path, token));
  }

  private static Answer delete(String path, String token) {
    return record(api.send(HttpMethod.DELETE, path, token, null, null, null));
  }

  /** Links a bank for the caller of {@code token}; returns the link's id. */
  private static String link(String token) {
    Answer a = post(token, new JsonObject().put("public_token", publicToken()).encode());
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static void fault(String mode, String errorCode) {
    JsonObject f = new JsonObject().put("endpoint", "/accounts/balance/get").put("mode", mode);
    if (errorCode != null) {
      f.put("error_code", errorCode);
    }
    assertThat(sandboxWeb.postAbs(sandbox + "/sandbox/faults").sendJsonObject(f).await().statusCode()).isEqualTo(200);
  }

  private static TokenVault vault;

  /** The node's vault, opened by the test with the node's own key ring and PostgreSQL. */
  private static synchronized TokenVault vault() {
    if (vault == null) {
      vault = TokenVault.open(node.get().services().pool(), KeyRing.fromConfig(node.config().current())).await();
    }
    return vault;
  }

  /** The access token the vault holds for the link (recorded for the leak checks), or null when there is none. */
  private static String storedToken(String owner, String id) {
    try {
      VaultToken t = vault().retrieve(owner, "plaid:" + id).await();
      String s = t.reveal();
      t.destroy();
      ACCESS_TOKENS.add(s);
      return s;
    } catch (VaultException e) {
      assertThat(e.reason()).isEqualTo(VaultException.Reason.MISSING);
      return null;
    }
  }

  private static long rows(String sql, Object... args) {
    return node.get().services().pool().preparedQuery(sql).execute(Tuple.from(args)).await().iterator().next()
        .getLong(0);
  }

  // ---- the flow ----

  @Test
  @Order(1)
  void aUserLinksABankReadsItsBalancesAndDeletesIt() {
    String alice = user("alice-flow");
    Answer created = post(alice, new JsonObject().put("public_token", publicToken()).encode());
    assertThat(created.status()).as(created.raw().toString()).isEqualTo(201);
    JsonObject link = created.json();
    String id = link.getString("id");
    assertThat(created.header("Location")).isEqualTo(LinkedAccountRoutes.PATH + "/" + id);
    assertThat(link.getString("institution")).isEqualTo("ins_109508");
    assertThat(link.getJsonArray("accounts")).isNotEmpty();
    assertThat(link.getJsonArray("accounts").getJsonObject(0).fieldNames())
        .containsExactlyInAnyOrder("account_id", "name", "mask", "type", "subtype");

    String accessToken = storedToken("alice-flow", id);
    assertThat(accessToken).startsWith("access-sandbox-");
    assertThat(rows("SELECT count(*) FROM linked_accounts WHERE id = $1::uuid AND owner = $2", id, "alice-flow"))
        .isEqualTo(1);

    Answer list = get(LinkedAccountRoutes.PATH, alice);
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.json().getJsonArray("data")).containsExactly(link);
    assertThat(list.json().getBoolean("has_more")).isFalse();

    Answer balances = get(LinkedAccountRoutes.PATH + "/" + id + "/balances", alice);
    assertThat(balances.status()).as(balances.raw().toString()).isEqualTo(200);
    assertThat(balances.json().getBoolean("stale")).isFalse();
    assertThat(balances.header("Age")).isNull();
    JsonObject first = balances.json().getJsonArray("accounts").getJsonObject(0);
    assertThat(first.getString("account_id")).isEqualTo(link.getJsonArray("accounts").getJsonObject(0)
        .getString("account_id"));
    assertThat(first.getJsonObject("balances").getString("current")).matches("-?[0-9]+(\\.[0-9]+)?");

    Answer deleted = delete(LinkedAccountRoutes.PATH + "/" + id, alice);
    assertThat(deleted.status()).isEqualTo(204);
    assertThat(deleted.raw().length()).isZero();
    // Crypto-shredded: the vault row is gone, and with it the only copy of the token.
    assertThat(rows("SELECT count(*) FROM vault_tokens WHERE user_id = $1 AND kind = $2", "alice-flow",
        "plaid:" + id)).isZero();
    assertThat(storedToken("alice-flow", id)).isNull();
    assertThat(rows("SELECT count(*) FROM linked_accounts WHERE id = $1::uuid", id)).isZero();
    assertThat(get(LinkedAccountRoutes.PATH + "/" + id + "/balances", alice).status()).isEqualTo(404);
    assertThat(delete(LinkedAccountRoutes.PATH + "/" + id, alice).status()).isEqualTo(404);
    assertThat(get(LinkedAccountRoutes.PATH, alice).json().getJsonArray("data")).isEmpty();

    for (Buffer answer : List.of(created.raw(), list.raw(), balances.raw())) {
      assertThat(answer.toString()).doesNotContain(accessToken);
    }
  }

  /**
   * A link under one of its owner's payments that has not ended is not deleted (409 problem+json, the vault's token
   * kept): the saga may still need it to create, cancel or find the provider transfer. Another user gets the same 404
   * as for no link at all. Once the payment has ended, the link is deleted.
   */
  @Test
  @Order(11)
  void aLinkUnderAPaymentThatHasNotEndedIsNotDeleted() {
    String bob = user("bob-busy");
    String id = link(bob);
    UUID payment = UUID.randomUUID();
    node.get().services().pool().preparedQuery("INSERT INTO payments (id, owner, status, from_account_id, amount, "
        + "ledger, code, provider, linked_account_id) VALUES ($1, 'bob-busy', 'external_pending', 1001, 200, 1, 1, "
        + "'plaid', $2)").execute(Tuple.of(payment, id)).await();

    Answer refused = delete(LinkedAccountRoutes.PATH + "/" + id, bob);
    assertThat(refused.status()).as(refused.raw().toString()).isEqualTo(409);
    assertThat(refused.json().getString("type")).isEqualTo(LinkedAccountRoutes.TYPE_LINK_IN_USE);
    assertThat(storedToken("bob-busy", id)).isNotNull();
    assertThat(delete(LinkedAccountRoutes.PATH + "/" + id, user("mallory-busy")).status()).isEqualTo(404);

    node.get().services().pool().preparedQuery("UPDATE payments SET status = 'completed' WHERE id = $1")
        .execute(Tuple.of(payment)).await();
    assertThat(delete(LinkedAccountRoutes.PATH + "/" + id, bob).status()).isEqualTo(204);
    assertThat(storedToken("bob-busy", id)).isNull();
  }

  @Test
  @Order(2)
  void aRepeatedIdempotencyKeyReplaysTheLinkInsteadOfExchangingAgain() {
    String bob = user("bob-idem");
    String key = UUID.randomUUID().toString();
    String body = new JsonObject().put("public_token", publicToken()).encode();
    Answer first = record(api.post(LinkedAccountRoutes.PATH, bob, key, body));
    Answer again = record(api.post(LinkedAccountRoutes.PATH, bob, key, body));
    assertThat(first.status()).isEqualTo(201);
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.json()).isEqualTo(first.json());
    assertThat(get(LinkedAccountRoutes.PATH, bob).json().getJsonArray("data")).hasSize(1);
    // Without the key, the used public token is the provider's refusal: the caller's input, not a server fault.
    Answer used = post(bob, body);
    assertThat(used.status()).isEqualTo(422);
    assertThat(used.json().getString("type")).isEqualTo(LinkedAccountRoutes.TYPE_INVALID_PUBLIC_TOKEN);
    storedToken("bob-idem", first.json().getString("id"));
  }

  @Test
  @Order(3)
  void theListIsPagedWithCursors() {
    String carol = user("carol-pages");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(link(carol));
    }
    List<String> seen = new ArrayList<>();
    String path = LinkedAccountRoutes.PATH + "?limit=2";
    while (path != null) {
      Answer page = get(path, carol);
      assertThat(page.status()).isEqualTo(200);
      page.json().getJsonArray("data").forEach(o -> seen.add(((JsonObject) o).getString("id")));
      path = page.json().getBoolean("has_more")
          ? LinkedAccountRoutes.PATH + "?limit=2&cursor=" + page.json().getString("next_cursor") : null;
    }
    assertThat(seen).containsExactlyElementsOf(ids);
  }

  // ---- stale balances and the provider's refusals ----

  @Test
  @Order(4)
  void duringAnOutageTheLastGoodBalancesAreServedStaleWithTheirAge() {
    String dave = user("dave-stale");
    String id = link(dave);
    storedToken("dave-stale", id);
    Answer fresh = get(LinkedAccountRoutes.PATH + "/" + id + "/balances", dave);
    assertThat(fresh.status()).isEqualTo(200);
    assertThat(fresh.json().getBoolean("stale")).isFalse();

    fault("outage", null);
    Answer stale = get(LinkedAccountRoutes.PATH + "/" + id + "/balances", dave);
    assertThat(stale.status()).as(stale.raw().toString()).isEqualTo(200);
    assertThat(stale.json().getBoolean("stale")).isTrue();
    assertThat(stale.header("Age")).matches("[0-9]+");
    assertThat(stale.json().getString("fetched_at")).isEqualTo(fresh.json().getString("fetched_at"));
    assertThat(stale.json().getJsonArray("accounts")).isEqualTo(fresh.json().getJsonArray("accounts"));

    // A link that never had a good read has nothing to serve.
    String never = link(dave);
    Answer none = get(LinkedAccountRoutes.PATH + "/" + never + "/balances", dave);
    assertThat(none.status()).isEqualTo(503);
    assertThat(none.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(none.header("Retry-After")).matches("[1-9][0-9]*");
    assertThat(none.json().getString("type")).isEqualTo(LinkedAccountRoutes.TYPE_PROVIDER_UNAVAILABLE);

    // Deleting a link forgets its cached balances along with it.
    assertThat(delete(LinkedAccountRoutes.PATH + "/" + id, dave).status()).isEqualTo(204);
    assertThat(get(LinkedAccountRoutes.PATH + "/" + id + "/balances", dave).status()).isEqualTo(404);
  }

  @Test
  @Order(5)
  void aTokenTheProviderNoLongerAcceptsAsksForARelinkNotA5xx() {
    String erin = user("erin-relink");
    String id = link(erin);
    storedToken("erin-relink", id);
    assertThat(get(LinkedAccountRoutes.PATH + "/" + id + "/balances", erin).status()).isEqualTo(200);
    fault("error", "ITEM_LOGIN_REQUIRED");
    Answer relink = get(LinkedAccountRoutes.PATH + "/" + id + "/balances", erin);
    assertThat(relink.status()).as(relink.raw().toString()).isEqualTo(409);
    assertThat(relink.json().getString("type")).isEqualTo(LinkedAccountRoutes.TYPE_RELINK_REQUIRED);
    // Stale data would hide a broken link: a refusal is never answered from the cache.
    assertThat(relink.json().containsKey("stale")).isFalse();
  }

  // ---- who may do what ----

  enum Caller { OWNER, OTHER_USER, OPERATOR, ADMIN, UNAUTHENTICATED }

  /** What each caller gets on a link owned by OWNER (the list: 200 for all, but only the owner sees it). */
  record Row(String route, int owner, int otherUser, int operator, int admin, int unauthenticated) {
    int expected(Caller c) {
      return switch (c) {
        case OWNER -> owner;
        case OTHER_USER -> otherUser;
        case OPERATOR -> operator;
        case ADMIN -> admin;
        case UNAUTHENTICATED -> unauthenticated;
      };
    }
  }

  static Stream<Arguments> ownership() {
    return Stream.of(
        //                  route                       owner other operator admin unauthenticated
        Arguments.of(new Row("POST /v1/linked-accounts", 201, 201, 201, 201, 401)),
        Arguments.of(new Row("GET /v1/linked-accounts", 200, 200, 200, 200, 401)),
        Arguments.of(new Row("GET /v1/linked-accounts/{id}/balances", 200, 404, 404, 404, 401)),
        Arguments.of(new Row("DELETE /v1/linked-accounts/{id}", 204, 404, 404, 404, 401)),
        Arguments.of(new Row("GET /v1/institutions", 200, 200, 200, 200, 200)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ownership")
  @Order(6)
  void everyCallerGetsWhatTheTableSays(Row row) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String ownerId = "owner-" + suffix;
    String owner = user(ownerId);
    String id = link(owner);
    storedToken(ownerId, id);
    // The owner goes last, so a DELETE by anyone else is tried while the link still exists.
    for (Caller c : List.of(Caller.OTHER_USER, Caller.OPERATOR, Caller.ADMIN, Caller.UNAUTHENTICATED, Caller.OWNER)) {
      String token = switch (c) {
        case OWNER -> owner;
        case OTHER_USER -> user("other-" + suffix);
        case OPERATOR -> node.tokens().issue("operator-" + suffix, Role.OPERATOR);
        case ADMIN -> node.tokens().issue("admin-" + suffix, Role.ADMIN);
        case UNAUTHENTICATED -> null;
      };
      String path = row.route().substring(row.route().indexOf(' ') + 1).replace("{id}", id);
      HttpMethod method = HttpMethod.valueOf(row.route().substring(0, row.route().indexOf(' ')));
      Answer a = method == HttpMethod.POST
          ? post(token, new JsonObject().put("public_token", publicToken()).encode())
          : record(api.send(method, path, token, null, null, null));
      assertThat(a.status()).as("%s by %s: %s", row.route(), c, a.raw()).isEqualTo(row.expected(c));
      if (a.status() >= 400) {
        assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
      }
      if (a.status() == 404) {
        // The same answer as an id nobody has: nothing tells that the link exists.
        Answer nobody = record(api.send(method, path.replace(id, UUID.randomUUID().toString()), token, null, null,
            null));
        assertThat(nobody.status()).isEqualTo(404);
        assertThat(nobody.json().copy().put("request_id", "")).isEqualTo(a.json().copy().put("request_id", ""));
      }
      if (row.route().equals("GET /v1/linked-accounts") && a.status() == 200) {
        List<String> listed = a.json().getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id"))
            .toList();
        if (c == Caller.OWNER) {
          assertThat(listed).containsExactly(id);
        } else {
          assertThat(listed).doesNotContain(id);
        }
      }
      if (method == HttpMethod.POST && a.status() == 201) {
        // A link always belongs to whoever made it.
        assertThat(rows("SELECT count(*) FROM linked_accounts WHERE id = $1::uuid AND owner = $2",
            a.json().getString("id"), c == Caller.OWNER ? ownerId : subjectOf(c, suffix))).isEqualTo(1);
      }
    }
    // Only the owner's DELETE removed anything.
    long left = rows("SELECT count(*) FROM linked_accounts WHERE id = $1::uuid", id);
    assertThat(left).isEqualTo(row.route().startsWith("DELETE") ? 0 : 1);
  }

  private static String subjectOf(Caller c, String suffix) {
    return switch (c) {
      case OTHER_USER -> "other-" + suffix;
      case OPERATOR -> "operator-" + suffix;
      case ADMIN -> "admin-" + suffix;
      default -> throw new IllegalArgumentException(c.name());
    };
  }

  // ---- garbage in, problems out ----

  static Stream<Arguments> garbageBodies() {
    return Stream.of(
        Arguments.of("empty body", "", "application/json", 400),
        Arguments.of("empty object", "{}", "application/json", 400),
        Arguments.of("null token", "{\"public_token\":null}", "application/json", 400),
        Arguments.of("number", "{\"public_token\":5}", "application/json", 400),
        Arguments.of("array", "{\"public_token\":[\"public-sandbox-x\"]}", "application/json", 400),
        Arguments.of("object", "{\"public_token\":{}}", "application/json", 400),
        Arguments.of("empty string", "{\"public_token\":\"\"}", "application/json", 400),
        Arguments.of("escaped NUL", "{\"public_token\":\"public-\\u0000-x\"}", "application/json", 400),
        Arguments.of("raw NUL", "{\"public_token\":\"public-\u0000-x\"}", "application/json", 400),
        Arguments.of("space inside", "{\"public_token\":\"public sandbox\"}", "application/json", 400),
        Arguments.of("too long", "{\"public_token\":\"" + "p".repeat(257) + "\"}", "application/json", 400),
        Arguments.of("unknown field", "{\"public_token\":\"public-sandbox-x\",\"access_token\":\"y\"}",
            "application/json", 400),
        Arguments.of("duplicate member", "{\"public_token\":\"a\",\"public_token\":\"b\"}", "application/json", 400),
        Arguments.of("top-level array", "[]", "application/json", 400),
        Arguments.of("top-level string", "\"public-sandbox-x\"", "application/json", 400),
        Arguments.of("malformed", "{\"public_token\":", "application/json", 400),
        Arguments.of("trailing data", "{\"public_token\":\"a\"} {}", "application/json", 400),
        Arguments.of("huge", "{\"public_token\":\"" + "p".repeat(100_000) + "\"}", "application/json", 413),
        Arguments.of("not JSON", "public_token=x", "text/plain", 415),
        Arguments.of("unknown to the provider", "{\"public_token\":\"public-sandbox-nope\"}", "application/json",
            422));
  }

  @ParameterizedTest(name = "POST {0} -> {3}")
  @MethodSource("garbageBodies")
  @Order(7)
  void garbageBodiesAreProblems(String name, String body, String contentType, int status) {
    Answer a = record(api.send(HttpMethod.POST, LinkedAccountRoutes.PATH, user("garbage"),
        UUID.randomUUID().toString(), body, contentType));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(a.json().getInteger("status")).isEqualTo(status);
  }

  static Stream<Arguments> garbagePaths() {
    String some = UUID.randomUUID().toString();
    return Stream.of(
        Arguments.of("GET", LinkedAccountRoutes.PATH + "/not-an-id/balances", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "/" + some.toUpperCase() + "/balances", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "/1/balances", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "/%00/balances", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "/" + some + "/balances", 404),
        Arguments.of("DELETE", LinkedAccountRoutes.PATH + "/" + "x".repeat(500), 400),
        Arguments.of("DELETE", LinkedAccountRoutes.PATH + "/" + some, 404),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "?limit=0", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "?limit=101", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "?limit=abc", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "?limit=1&limit=2", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "?cursor=bm9wZQ", 400),
        Arguments.of("GET", LinkedAccountRoutes.PATH + "?owner=alice", 400),
        Arguments.of("GET", InstitutionRoutes.PATH + "?count=0", 400),
        Arguments.of("GET", InstitutionRoutes.PATH + "?count=501", 400),
        Arguments.of("GET", InstitutionRoutes.PATH + "?offset=-1", 400),
        Arguments.of("GET", InstitutionRoutes.PATH + "?country_codes=usa", 400),
        Arguments.of("GET", InstitutionRoutes.PATH + "?x=1", 400));
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @MethodSource("garbagePaths")
  @Order(8)
  void garbagePathsAndParametersAreProblems(String method, String path, int status) {
    Answer a = record(api.send(HttpMethod.valueOf(method), path, user("garbage"), null, null, null));
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
  }

  // ---- the public catalog ----

  @Test
  @Order(9)
  void institutionsArePublicAndCacheable() {
    Answer a = get(InstitutionRoutes.PATH + "?count=3", null);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().getJsonArray("institutions")).hasSize(3);
    assertThat(a.header("Cache-Control")).isEqualTo(node.config().current().cacheEdge().cacheControl());
    assertThat(a.header("Surrogate-Key")).isEqualTo(InstitutionRoutes.SURROGATE_KEY);
    String etag = a.header("ETag");
    assertThat(etag).matches("\"[A-Za-z0-9_-]+\"");
    HttpResponse<Buffer> again = WebClient.create(node.client()).get(node.gatewayPort(), "127.0.0.1",
        InstitutionRoutes.PATH + "?count=3").putHeader("If-None-Match", etag).send().await();
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.getHeader("ETag")).isEqualTo(etag);
    assertThat(again.body() == null ? 0 : again.body().length()).isZero();
    // With a token the answer is the caller's: no shared cache keeps it.
    assertThat(get(InstitutionRoutes.PATH + "?count=3", user("reader")).header("Cache-Control")).isEqualTo("no-store");
  }

  // ---- a node whose vault is not configured ----

  @Test
  @Order(10)
  void withoutAConfiguredVaultTheLinkedAccountsApiSaysSoAndNoKeyIsMade() {
    ConfigService config = NodeExtension.configWith(Map.of("node.roles", "gateway", "vault.dev-key", "false",
        "gateway.rate-limits", NodeExtension.RATE_LIMITS_NEVER_BIND));
    node.start(config);
    ApiClient bare = new ApiClient(node.client(), config.current().gateway().port());
    String grace = Tokens.of(config).issue("grace-novault", Role.USER);
    Answer refused = bare.post(LinkedAccountRoutes.PATH, grace, null,
        new JsonObject().put("public_token", "public-sandbox-any").encode());
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.header("Retry-After")).isNotNull();
    assertThat(refused.json().getString("detail")).contains("vault is not configured");
    assertThat(bare.get(LinkedAccountRoutes.PATH, grace).status()).isEqualTo(503);
    assertThat(bare.get(InstitutionRoutes.PATH + "?count=1", null).status()).isEqualTo(200);
    assertThat(config.current().node().dataDir().resolve(KeyRing.DEV_KEY_FILE)).doesNotExist();
    // The node above, on embedded defaults, made its development key when it built its vault.
    assertThat(node.dataDir().resolve(KeyRing.DEV_KEY_FILE)).exists();
  }

  // ---- the access token goes nowhere ----

  @Test
  @Order(100)
  void noAccessTokenAppearsInAnyAnswerLogLineOrMetric() {
    // At least the flows above stored tokens; make sure of one more with every route used on it.
    String frank = user("frank-leak");
    String id = link(frank);
    storedToken("frank-leak", id);
    get(LinkedAccountRoutes.PATH + "/" + id + "/balances", frank);
    fault("outage", null);
    get(LinkedAccountRoutes.PATH + "/" + id + "/balances", frank);
    fault("error", "ITEM_LOGIN_REQUIRED");
    get(LinkedAccountRoutes.PATH + "/" + id + "/balances", frank);
    delete(LinkedAccountRoutes.PATH + "/" + id, frank);
    assertThat(ACCESS_TOKENS).hasSizeGreaterThanOrEqualTo(5).allMatch(t -> t.startsWith("access-sandbox-"));

    StringBuilder logs = new StringBuilder();
    for (ILoggingEvent e : List.copyOf(LOGS.list)) {
      logs.append(e.getFormattedMessage()).append('\n');
      if (e.getThrowableProxy() != null) {
        logs.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
      logs.append(e.getMDCPropertyMap()).append('\n');
    }
    assertThat(LOGS.list).as("the run logged something").isNotEmpty();
    String metrics = WebClient.create(node.client()).get(node.managementPort(), "127.0.0.1", "/metrics").send()
        .await().bodyAsString();
    String answers;
    synchronized (ANSWERS) {
      StringBuilder b = new StringBuilder();
      ANSWERS.forEach(a -> b.append(a).append('\n'));
      answers = b.toString();
    }
    for (String token : ACCESS_TOKENS) {
      assertThat(logs.toString()).as("log output").doesNotContain(token);
      assertThat(metrics).as("metrics").doesNotContain(token);
      assertThat(answers).as("API answers").doesNotContain(token);
    }
  }
}
