package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.gateway.auth.JwtSigner;
import dev.ledgerline.gateway.auth.SigningKey;
import dev.ledgerline.gateway.auth.TestKeys;
import dev.ledgerline.gateway.idempotency.Idempotent;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.users.Role;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public API over real HTTP against one node on embedded PostgreSQL and Redis, with development RS256 keys. Every
 * answer is also checked against the node's /openapi.json (see {@link ApiClient}).
 */
class GatewayApiTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node()
      // The concurrent duplicate below must get the first request's answer, not the wait bound (409).
      .set("gateway.instances", "2").set("gateway.idempotency.wait", "60s")
      // Not a rate-limit test: limits that never bind, as the production defaults would for tables of requests.
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();
  private static ApiClient api;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
  }

  private static String account(String token, String extra) {
    Answer a = api.post("/v1/accounts", token, null, "{\"ledger\":1,\"code\":1" + extra + "}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  private static String transfer(String debit, String credit, String amount) {
    return "{\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":\"" + amount
        + "\",\"ledger\":1,\"code\":1}";
  }

  private static String key() {
    return UUID.randomUUID().toString();
  }

  /**
   * The account as the ledger holds it now: a read-through, because a plain read may answer the cached balance until
   * the committed-transfer feed drops it, a few milliseconds after the write's answer (docs/caching.md).
   */
  private static JsonObject accountAsOperator(String id) {
    Answer a = api.get("/v1/accounts/" + id, node.tokens().issue("ops", Role.OPERATOR),
        Map.of("Cache-Control", "no-cache"));
    assertThat(a.status()).isEqualTo(200);
    return a.json();
  }

  @Test
  void quickStartTokenTwoAccountsTransferAndBalances() {
    String alice = node.tokens().issue("alice-qs", Role.USER);
    String a = account(alice, "");
    String b = account(alice, "");
    Answer t = api.post("/v1/transfers", alice, key(), transfer(a, b, "250"));
    assertThat(t.status()).isEqualTo(201);
    assertThat(t.json().getString("result")).isEqualTo("ok");
    String tid = t.json().getString("id");
    JsonObject credited = api.get("/v1/accounts/" + b, alice).json();
    assertThat(credited.getString("credits_posted")).isEqualTo("250");
    assertThat(credited.getString("available")).isEqualTo("250");
    assertThat(api.get("/v1/accounts/" + a, alice).json().getString("available")).isEqualTo("-250");
    Answer got = api.get("/v1/transfers/" + tid, alice);
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json().getString("amount")).isEqualTo("250");
    Answer page = api.get("/v1/accounts/" + a + "/transfers?limit=10&order=desc", alice);
    assertThat(page.json().getJsonArray("transfers")).hasSize(1);
    assertThat(page.json().getBoolean("has_more")).isFalse();
  }

  @Test
  void pagingUsesOpaqueCursorsAndRefusesForgedOnes() {
    String u = node.tokens().issue("pager", Role.USER);
    String a = account(u, ",\"flags\":[\"history\"]");
    String b = account(u, "");
    for (int i = 1; i <= 3; i++) {
      assertThat(api.post("/v1/transfers", u, key(), transfer(a, b, String.valueOf(i))).status()).isEqualTo(201);
    }
    Answer first = api.get("/v1/accounts/" + a + "/transfers?limit=2", u);
    assertThat(first.json().getJsonArray("transfers")).hasSize(2);
    assertThat(first.json().getBoolean("has_more")).isTrue();
    String cursor = first.json().getString("next_cursor");
    Answer second = api.get("/v1/accounts/" + a + "/transfers?limit=2&cursor=" + cursor, u);
    assertThat(second.json().getJsonArray("transfers")).hasSize(1);
    assertThat(second.json().getJsonArray("transfers").getJsonObject(0).getString("amount")).isEqualTo("3");
    assertThat(second.json().getBoolean("has_more")).isFalse();
    Answer balances = api.get("/v1/accounts/" + a + "/balances?order=desc&limit=1", u);
    assertThat(balances.status()).isEqualTo(200);
    assertThat(balances.json().getJsonArray("balances").getJsonObject(0).getString("debits_posted")).isEqualTo("6");
    for (String bad : List.of("cursor=abc", "cursor=" + cursor + "%3D", "limit=0", "limit=1001", "order=up",
        "limit=1&limit=2", "debits=yes", "colour=red", "cursor=" + cursor + "&order=desc")) {
      Answer r = api.get("/v1/accounts/" + a + "/transfers?" + bad, u);
      assertThat(r.status()).as(bad).isEqualTo(400);
    }
  }

  @Test
  void jwtMatrixAtTheHttpLevel() throws Exception {
    String u = node.tokens().issue("jwt-user", Role.USER);
    String a = account(u, "");
    assertThat(api.get("/v1/accounts/" + a, u).status()).isEqualTo(200);
    Answer none = api.get("/v1/accounts/" + a, null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
    assertThat(api.get("/v1/accounts/" + a, "not.a.token").status()).isEqualTo(401);
    JwtSettings jwt = node.tokens().settings();
    SigningKey key = SigningKey.load(jwt);
    long now = Instant.now().getEpochSecond();
    JsonObject claims = new JsonObject().put("iss", jwt.issuer()).put("aud", jwt.audience()).put("sub", "jwt-user")
        .put("roles", List.of("user")).put("jti", key()).put("iat", now).put("exp", now + 600);
    String valid = JwtSigner.sign(key.algorithm(), key.kid(), claims, key.key());
    assertThat(api.get("/v1/accounts/" + a, valid).status()).isEqualTo(200);
    String expired = JwtSigner.sign(key.algorithm(), key.kid(), claims.copy().put("iat", now - 7200)
        .put("exp", now - 3600), key.key());
    assertThat(api.get("/v1/accounts/" + a, expired).status()).isEqualTo(401);
    String otherAudience = JwtSigner.sign(key.algorithm(), key.kid(), claims.copy().put("aud", "someone-else"),
        key.key());
    assertThat(api.get("/v1/accounts/" + a, otherAudience).status()).isEqualTo(401);
    String foreignKey = JwtSigner.sign("RS256", null, claims, TestKeys.rsa().getPrivate());
    assertThat(api.get("/v1/accounts/" + a, foreignKey).status()).isEqualTo(401);
    String[] parts = valid.split("\\.");
    String unsigned = java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes()) + "." + parts[1] + ".";
    assertThat(api.get("/v1/accounts/" + a, unsigned).status()).isEqualTo(401);
    // A user token never reaches the operators' query.
    assertThat(api.get("/v1/accounts?ledger=1", u).status()).isEqualTo(403);
  }

  @Test
  void objectLevelAuthorization() {
    String alice = node.tokens().issue("alice-ola", Role.USER);
    String bob = node.tokens().issue("bob-ola", Role.USER);
    String operator = node.tokens().issue("op-ola", Role.OPERATOR);
    String a1 = account(alice, "");
    String a2 = account(alice, "");
    String b1 = account(bob, "");
    Answer pending = api.post("/v1/transfers", alice, key(),
        "{\"debit_account_id\":\"" + a1 + "\",\"credit_account_id\":\"" + a2
            + "\",\"amount\":\"10\",\"ledger\":1,\"code\":1,\"flags\":[\"pending\"]}");
    assertThat(pending.status()).isEqualTo(201);
    String pid = pending.json().getString("id");

    // Reads of alice's objects by bob: 404, as if they did not exist.
    assertThat(api.get("/v1/accounts/" + a1, bob).status()).isEqualTo(404);
    assertThat(api.get("/v1/accounts/" + a1 + "/transfers", bob).status()).isEqualTo(404);
    assertThat(api.get("/v1/accounts/" + a1 + "/balances", bob).status()).isEqualTo(404);
    assertThat(api.get("/v1/transfers/" + pid, bob).status()).isEqualTo(404);
    assertThat(api.get("/v1/accounts?ledger=1", bob).status()).isEqualTo(403);
    // Writes: 403, and nothing moves.
    assertThat(api.post("/v1/transfers", bob, key(), transfer(a1, b1, "5")).status()).isEqualTo(403);
    assertThat(api.post("/v1/transfers/batch", bob, key(), "{\"transfers\":[" + transfer(b1, a1, "1") + ","
        + transfer(a1, b1, "1") + "]}").status()).isEqualTo(403);
    // Post and void of a pending transfer bob cannot see: 404, as if it did not exist.
    for (String flag : List.of("post_pending_transfer", "void_pending_transfer")) {
      Answer r = api.post("/v1/transfers", bob, key(), "{\"pending_id\":\"" + pid + "\",\"amount\":\"10\","
          + "\"flags\":[\"" + flag + "\"]}");
      assertThat(r.status()).as(flag).isEqualTo(404);
      assertThat(r.json().getString("result")).isEqualTo("pending_transfer_not_found");
    }
    // Creating alice's account id: the id is taken, and nothing says by whom.
    Answer taken = api.post("/v1/accounts", bob, null, "{\"id\":\"" + a1 + "\",\"ledger\":1,\"code\":1}");
    assertThat(taken.status()).isEqualTo(409);
    assertThat(taken.json().getString("result")).isEqualTo("exists");
    JsonObject a1Now = accountAsOperator(a1);
    assertThat(a1Now.getString("debits_pending")).isEqualTo("10");
    assertThat(a1Now.getString("debits_posted")).isEqualTo("0");

    // Bob may pay alice from his own account; both then see that transfer.
    Answer paid = api.post("/v1/transfers", bob, key(), transfer(b1, a1, "3"));
    assertThat(paid.status()).isEqualTo(201);
    assertThat(api.get("/v1/transfers/" + paid.json().getString("id"), alice).status()).isEqualTo(200);
    assertThat(api.get("/v1/transfers/" + paid.json().getString("id"), bob).status()).isEqualTo(200);

    // The operator sees and may do all of it.
    assertThat(api.get("/v1/accounts/" + a1, operator).status()).isEqualTo(200);
    assertThat(api.get("/v1/accounts/" + a1 + "/transfers", operator).status()).isEqualTo(200);
    assertThat(api.get("/v1/transfers/" + pid, operator).status()).isEqualTo(200);
    Answer query = api.get("/v1/accounts?ledger=1&limit=1000", operator);
    assertThat(query.status()).isEqualTo(200);
    assertThat(query.json().getJsonArray("accounts").stream().map(o -> ((JsonObject) o).getString("id")))
        .contains(a1, b1);
    // Alice posts her own pending transfer.
    Answer post = api.post("/v1/transfers", alice, key(), "{\"pending_id\":\"" + pid + "\",\"amount\":\"10\","
        + "\"flags\":[\"post_pending_transfer\"]}");
    assertThat(post.status()).isEqualTo(201);
    assertThat(accountAsOperator(a1).getString("debits_posted")).isEqualTo("10");
  }

  @Test
  void strictInputTableAnswers4xxAndWritesNothing() {
    String u = node.tokens().issue("strict", Role.USER);
    String a = account(u, "");
    String b = account(u, "");
    String operator = node.tokens().issue("op-strict", Role.OPERATOR);
    String big = "9".repeat(39);
    record Case(String name, String path, String body, String contentType, boolean key, int status) {}
    List<Case> cases = List.of(
        new Case("number amount", "/v1/transfers", "{\"id\":\"%s\",\"debit_account_id\":\"" + a
            + "\",\"credit_account_id\":\"" + b + "\",\"amount\":100,\"ledger\":1,\"code\":1}", null, true, 400),
        new Case("exponent", "/v1/transfers", body(a, b, "1e3"), null, true, 400),
        new Case("negative", "/v1/transfers", body(a, b, "-1"), null, true, 400),
        new Case("2^128", "/v1/transfers", body(a, b, "340282366920938463463374607431768211456"), null, true, 400),
        new Case("39 nines", "/v1/transfers", body(a, b, big), null, true, 400),
        new Case("duplicate key", "/v1/transfers", "{\"id\":\"%s\",\"amount\":\"1\",\"debit_account_id\":\"" + a
            + "\",\"credit_account_id\":\"" + b + "\",\"amount\":\"2\",\"ledger\":1,\"code\":1}", null, true, 400),
        new Case("unknown field", "/v1/transfers", body(a, b, "1").replace("\"code\":1", "\"code\":1,\"memo\":\"x\""),
            null, true, 400),
        new Case("wrong flag", "/v1/transfers", body(a, b, "1").replace("\"code\":1", "\"code\":1,\"flags\":[\"pendng\"]"),
            null, true, 400),
        new Case("imported flag", "/v1/transfers", body(a, b, "1").replace("\"code\":1",
            "\"code\":1,\"flags\":[\"imported\"]"), null, true, 400),
        new Case("no idempotency key", "/v1/transfers", body(a, b, "1"), null, false, 400),
        new Case("wrong content type", "/v1/transfers", body(a, b, "1"), "text/plain", true, 415),
        new Case("huge body", "/v1/transfers", body(a, b, "1").replace("\"code\":1",
            "\"code\":1,\"user_data_128\":\"" + "1".repeat(70_000) + "\""), null, true, 413),
        new Case("batch with a bad item", "/v1/transfers/batch", "{\"transfers\":[" + body(a, b, "1") + ","
            + body(a, b, "01") + "]}", null, true, 400));
    for (Case c : cases) {
      String id = String.valueOf(Math.abs(UUID.randomUUID().getMostSignificantBits()) + 1);
      String text = c.body().replace("%s", id);
      Answer r = api.send(HttpMethod.POST, c.path(), u, c.key() ? key() : null, text,
          c.contentType() == null ? "application/json" : c.contentType());
      assertThat(r.status()).as(c.name() + ": " + r.raw()).isEqualTo(c.status());
      assertThat(r.header("Content-Type")).as(c.name()).isEqualTo("application/problem+json");
      assertThat(api.get("/v1/transfers/" + id, operator).status()).as(c.name() + " wrote nothing").isEqualTo(404);
    }
    assertThat(accountAsOperator(a).getString("debits_posted")).isEqualTo("0");
    assertThat(accountAsOperator(b).getString("credits_posted")).isEqualTo("0");
  }

  private static String body(String debit, String credit, String amount) {
    return "{\"id\":\"%s\",\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit
        + "\",\"amount\":\"" + amount + "\",\"ledger\":1,\"code\":1}";
  }

  @Test
  void ledgerResultsMapToStatusesWithTheResultName() {
    String u = node.tokens().issue("results", Role.USER);
    String limited = account(u, ",\"flags\":[\"debits_must_not_exceed_credits\"]");
    String b = account(u, "");
    Answer exceeds = api.post("/v1/transfers", u, key(), transfer(limited, b, "1"));
    assertThat(exceeds.status()).isEqualTo(422);
    assertThat(exceeds.json().getString("result")).isEqualTo("exceeds_credits");
    String id = "123456789" + (System.nanoTime() % 1_000_000);
    String withId = "{\"id\":\"" + id + "\"," + transfer(b, limited, "5").substring(1);
    assertThat(api.post("/v1/transfers", u, key(), withId).status()).isEqualTo(201);
    Answer exists = api.post("/v1/transfers", u, key(), withId);
    assertThat(exists.status()).isEqualTo(200);
    assertThat(exists.json().getString("result")).isEqualTo("exists");
    Answer different = api.post("/v1/transfers", u, key(), withId.replace("\"5\"", "\"6\""));
    assertThat(different.status()).isEqualTo(409);
    assertThat(different.json().getString("result")).isEqualTo("exists_with_different_amount");
    Answer missing = api.post("/v1/transfers", u, key(), "{\"pending_id\":\"987654321\",\"flags\":[\"void_pending_transfer\"]}");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().getString("result")).isEqualTo("pending_transfer_not_found");
    Answer batch = api.post("/v1/transfers/batch", u, key(), "{\"transfers\":[" + transfer(b, limited, "1")
        .replace("\"code\":1}", "\"code\":1,\"flags\":[\"linked\"]}") + "," + transfer(limited, b, "1000") + "]}");
    assertThat(batch.status()).isEqualTo(200);
    assertThat(batch.json().getJsonArray("results").getJsonObject(0).getString("result"))
        .isEqualTo("linked_event_failed");
    assertThat(batch.json().getJsonArray("results").getJsonObject(1).getString("result"))
        .isEqualTo("exceeds_credits");
    Answer accountAgain = api.post("/v1/accounts", u, null, "{\"id\":\"" + b + "\",\"ledger\":1,\"code\":1}");
    assertThat(accountAgain.status()).isEqualTo(200);
    assertThat(api.post("/v1/accounts", u, null, "{\"id\":\"" + b + "\",\"ledger\":2,\"code\":1}").status())
        .isEqualTo(409);
  }

  @Test
  void idempotencyReplayMismatchAndConcurrentDuplicates() {
    String u = node.tokens().issue("idem", Role.USER);
    String a = account(u, "");
    String b = account(u, "");
    String k = key();
    Answer first = api.post("/v1/transfers", u, k, transfer(a, b, "7"));
    assertThat(first.status()).isEqualTo(201);
    assertThat(first.header("Idempotent-Replayed")).isNull();
    Answer again = api.post("/v1/transfers", u, k, transfer(a, b, "7"));
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.raw()).isEqualTo(first.raw());
    Answer other = api.post("/v1/transfers", u, k, transfer(a, b, "8"));
    assertThat(other.status()).isEqualTo(422);
    // The same key of another subject is another key.
    String v = node.tokens().issue("idem-other", Role.USER);
    String c = account(v, "");
    assertThat(api.post("/v1/transfers", v, k, transfer(c, b, "1")).status()).isEqualTo(201);
    assertThat(accountAsOperator(a).getString("debits_posted")).isEqualTo("7");

    // Two at once with one key and no transfer id: one ledger write, the same answer twice.
    String k2 = key();
    List<Future<Answer>> both = List.of(api.postAsync("/v1/transfers", u, k2, transfer(a, b, "11")),
        api.postAsync("/v1/transfers", u, k2, transfer(a, b, "11")));
    Future.all(both).await();
    Answer x = both.get(0).result();
    Answer y = both.get(1).result();
    api.conforms(HttpMethod.POST, "/v1/transfers", x);
    api.conforms(HttpMethod.POST, "/v1/transfers", y);
    assertThat(x.status()).isEqualTo(201);
    assertThat(y.status()).isEqualTo(201);
    assertThat(x.raw()).isEqualTo(y.raw());
    assertThat(accountAsOperator(a).getString("debits_posted")).isEqualTo("18");
    Answer page = api.get("/v1/accounts/" + a + "/transfers", u);
    assertThat(page.json().getJsonArray("transfers")).hasSize(2);
  }
}
