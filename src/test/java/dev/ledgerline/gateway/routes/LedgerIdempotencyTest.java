package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.idempotency.IdempotencyStore;
import dev.ledgerline.gateway.idempotency.LedgerKeys;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.users.Role;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Tuple;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Idempotency keys of transfer writes, kept in Redis and the ledger rather than PostgreSQL: replays (also once the
 * key's Redis entry is lost, through the ledger's {@code exists}), key reuse with another body, concurrent
 * duplicates, a claim of a dead process, and explicit ids with a lost entry never moving money twice.
 */
class LedgerIdempotencyTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node()
      .set("gateway.instances", "2").set("gateway.idempotency.wait", "3s")
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

  /** A user with two accounts of its own. */
  private record Party(String token, String a, String b) {}

  private static Party party(String subject) {
    String token = node.tokens().user(subject);
    return new Party(token, account(token, ""), account(token, ""));
  }

  private static String transfer(String debit, String credit, String amount) {
    return "{\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":\"" + amount
        + "\",\"ledger\":1,\"code\":1}";
  }

  private static String batch(String... transfers) {
    return "{\"transfers\":[" + String.join(",", transfers) + "]}";
  }

  private static String key() {
    return UUID.randomUUID().toString();
  }

  private static String debits(String account) {
    Answer a = api.get("/v1/accounts/" + account, node.tokens().issue("ops", Role.OPERATOR));
    assertThat(a.status()).isEqualTo(200);
    return a.json().getString("debits_posted");
  }

  /** The key's Redis entry is gone, as after a flush or a restart without persistence. */
  private static void lose(String subject, String key) {
    node.get().services().redis().send(Request.cmd(Command.DEL).arg(LedgerKeys.redisKey(subject, key))).await();
  }

  private static long pgRows(String key) {
    return node.get().services().pool().preparedQuery("SELECT count(*) FROM idempotency_keys WHERE key = $1")
        .execute(Tuple.of(key)).await().iterator().next().getLong(0);
  }

  private static void sameReplay(Answer first, Answer again) {
    assertThat(again.status()).isEqualTo(first.status());
    assertThat(again.raw()).isEqualTo(first.raw());
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(first.header("Idempotent-Replayed")).isNull();
  }

  @Test
  void aSingleTransferReplaysFromRedisAndThroughTheLedgersExists() {
    Party party = party("li-single");
    String u = party.token();
    String a = party.a();
    String b = party.b();
    String k = key();
    Answer first = api.post("/v1/transfers", u, k, transfer(a, b, "5"));
    assertThat(first.status()).isEqualTo(201);
    sameReplay(first, api.post("/v1/transfers", u, k, transfer(a, b, "5")));
    lose("li-single", k);
    Answer throughLedger = api.post("/v1/transfers", u, k, transfer(a, b, "5"));
    api.conforms(HttpMethod.POST, "/v1/transfers", throughLedger);
    sameReplay(first, throughLedger);
    // And again from the entry that replay kept.
    sameReplay(first, api.post("/v1/transfers", u, k, transfer(a, b, "5")));
    assertThat(debits(a)).isEqualTo("5");
    assertThat(pgRows(k)).isZero();
  }

  @Test
  void aBatchReplaysFromRedisAndThroughTheLedgersExists() {
    Party party = party("li-batch");
    String u = party.token();
    String a = party.a();
    String b = party.b();
    String k = key();
    String body = batch(transfer(a, b, "2"), transfer(a, b, "3"));
    Answer first = api.post("/v1/transfers/batch", u, k, body);
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.json().getJsonArray("results").stream().map(r -> ((JsonObject) r).getString("result")))
        .containsExactly("ok", "ok");
    sameReplay(first, api.post("/v1/transfers/batch", u, k, body));
    lose("li-batch", k);
    sameReplay(first, api.post("/v1/transfers/batch", u, k, body));
    assertThat(debits(a)).isEqualTo("5");
    assertThat(pgRows(k)).isZero();
  }

  @Test
  void aRefusedTransferReplaysItsStoredAnswerAndNeverRunsAgain() {
    String u = node.tokens().user("li-refused");
    String limited = account(u, ",\"flags\":[\"debits_must_not_exceed_credits\"]");
    String b = account(u, "");
    String k = key();
    Answer first = api.post("/v1/transfers", u, k, transfer(limited, b, "4"));
    assertThat(first.status()).isEqualTo(422);
    assertThat(first.json().getString("result")).isEqualTo("exceeds_credits");
    // Credit the limited account: running the request again now would succeed.
    assertThat(api.post("/v1/transfers", u, key(), transfer(b, limited, "10")).status()).isEqualTo(201);
    Answer again = api.post("/v1/transfers", u, k, transfer(limited, b, "4"));
    assertThat(again.status()).isEqualTo(422);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.json().getString("result")).isEqualTo("exceeds_credits");
    // With the Redis entry lost: the ledger keeps the id refused (id_already_failed), and the durable copy of the
    // answer is replayed.
    lose("li-refused", k);
    Answer lost = api.post("/v1/transfers", u, k, transfer(limited, b, "4"));
    assertThat(lost.status()).isEqualTo(422);
    assertThat(lost.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(lost.raw()).isEqualTo(again.raw());
    assertThat(debits(limited)).isEqualTo("0");
    // A mixed batch too: its per-transfer answer is kept as it is.
    String k2 = key();
    String body = batch(transfer(b, limited, "1"), transfer(limited, b, "1000"));
    Answer mixed = api.post("/v1/transfers/batch", u, k2, body);
    assertThat(mixed.status()).isEqualTo(200);
    sameReplay(mixed, api.post("/v1/transfers/batch", u, k2, body));
    lose("li-refused", k2);
    sameReplay(mixed, api.post("/v1/transfers/batch", u, k2, body));
    assertThat(debits(limited)).isEqualTo("0");
  }

  @Test
  void anotherBodyUnderTheKeyIs422AndChangesNothingEvenWithTheEntryLost() {
    Party party = party("li-reuse");
    String u = party.token();
    String a = party.a();
    String b = party.b();
    String k = key();
    assertThat(api.post("/v1/transfers", u, k, transfer(a, b, "6")).status()).isEqualTo(201);
    Answer other = api.post("/v1/transfers", u, k, transfer(a, b, "7"));
    assertThat(other.status()).isEqualTo(422);
    assertThat(other.json().getString("type")).isEqualTo("urn:ledgerline:problem:idempotency-key-reused");
    // Another route under the same key is another request too.
    assertThat(api.post("/v1/transfers/batch", u, k, batch(transfer(a, b, "6"))).status()).isEqualTo(422);
    lose("li-reuse", k);
    // The ledger's exists_with_different_amount on the derived id: the same 422, nothing written.
    Answer lost = api.post("/v1/transfers", u, k, transfer(a, b, "7"));
    assertThat(lost.status()).isEqualTo(422);
    assertThat(lost.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(lost.json().getString("type")).isEqualTo("urn:ledgerline:problem:idempotency-key-reused");
    assertThat(lost.json().getString("title")).isEqualTo(other.json().getString("title"));
    assertThat(debits(a)).isEqualTo("6");
    // The original body still replays the original answer.
    Answer again = api.post("/v1/transfers", u, k, transfer(a, b, "6"));
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(debits(a)).isEqualTo("6");
  }

  @Test
  void concurrentDuplicatesWriteOnceAndAnswerAlike() {
    Party party = party("li-concurrent");
    String u = party.token();
    String a = party.a();
    String b = party.b();
    String k = key();
    String body = batch(transfer(a, b, "1"), transfer(a, b, "2"));
    List<Future<Answer>> all = List.of(api.postAsync("/v1/transfers/batch", u, k, body),
        api.postAsync("/v1/transfers/batch", u, k, body), api.postAsync("/v1/transfers/batch", u, k, body));
    Future.all(all).await();
    Answer x = all.get(0).result();
    for (Future<Answer> f : all) {
      assertThat(f.result().status()).isEqualTo(200);
      assertThat(f.result().raw()).isEqualTo(x.raw());
    }
    assertThat(all.stream().filter(f -> f.result().header("Idempotent-Replayed") == null)).hasSize(1);
    assertThat(debits(a)).isEqualTo("3");
  }

  @Test
  void claimsInFlightElsewhereAreTakenOverWhenDeadAndWaitedForWhenAlive() {
    Party party = party("li-dead");
    String u = party.token();
    String a = party.a();
    String b = party.b();
    String body = transfer(a, b, "1");
    String hash = HexFormat.of().formatHex(IdempotencyStore.fingerprint(TransferRoutes.CREATE, Buffer.buffer(body)));
    // No process holds this incarnation's lock: its claim is taken over well within the wait bound.
    String dead = key();
    plant("li-dead", dead, hash, 4242424242L);
    long started = System.nanoTime();
    Answer taken = api.post("/v1/transfers", u, dead, body);
    assertThat(taken.status()).isEqualTo(201);
    assertThat(System.nanoTime() - started).isLessThan(2_500_000_000L);
    // A claim without a holder id counts as alive: the retry waits the bound and gets 409.
    String alive = key();
    plant("li-dead", alive, hash, 0);
    Answer busy = api.post("/v1/transfers", u, alive, body);
    assertThat(busy.status()).isEqualTo(409);
    assertThat(busy.json().getString("type")).isEqualTo("urn:ledgerline:problem:idempotency-key-in-flight");
    assertThat(debits(a)).isEqualTo("1");
    // In flight on another node, which then completes: the waiting retry gets that answer.
    String other = key();
    plant("li-dead", other, hash, 0);
    Future<Answer> waiting = api.postAsync("/v1/transfers", u, other, body);
    assertThat(waiting.isComplete()).isFalse();
    plant("li-dead", other, new JsonObject().put("r", TransferRoutes.CREATE).put("h", hash).put("o", 0)
        .put("t", "x").put("a", System.currentTimeMillis()).put("d", 1));
    Answer answered = waiting.await();
    assertThat(answered.status()).isEqualTo(201);
    assertThat(answered.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(answered.json().getString("result")).isEqualTo("ok");
    assertThat(debits(a)).isEqualTo("1");
  }

  private static void plant(String subject, String key, String hash, long holder) {
    plant(subject, key, new JsonObject().put("r", TransferRoutes.CREATE).put("h", hash).put("o", holder).put("t", "x")
        .put("a", System.currentTimeMillis()));
  }

  private static void plant(String subject, String key, JsonObject value) {
    String entry = value.encode();
    node.get().services().redis().send(Request.cmd(Command.SET).arg(LedgerKeys.redisKey(subject, key)).arg(entry)
        .arg("PX").arg(60_000)).await();
  }

  @Test
  void aRetryAfterAnAnswerThatWasNotFinalGetsTheLedgersExistsAsBefore() {
    Party party = party("li-released");
    String u = party.token();
    String a = party.a();
    String b = party.b();
    String k = key();
    String body = transfer(a, b, "3");
    assertThat(api.post("/v1/transfers", u, k, body).status()).isEqualTo(201);
    // As if the answer had been 504 outcome-unknown after the write landed: the key was released, not lost.
    plant("li-released", k, new JsonObject().put("r", TransferRoutes.CREATE).put("h", "released").put("o", 0)
        .put("t", "x").put("a", System.currentTimeMillis()).put("x", 1));
    Answer retry = api.post("/v1/transfers", u, k, body);
    assertThat(retry.status()).isEqualTo(200);
    assertThat(retry.json().getString("result")).isEqualTo("exists");
    assertThat(retry.header("Idempotent-Replayed")).isNull();
    Answer replay = api.post("/v1/transfers", u, k, body);
    sameReplay(retry, replay);
    assertThat(debits(a)).isEqualTo("3");
  }

  @Test
  void explicitIdsWithTheEntryLostNeverMoveMoneyTwice() {
    Party party = party("li-explicit");
    String u = party.token();
    String a = party.a();
    String b = party.b();
    String id = String.valueOf(Math.abs(UUID.randomUUID().getMostSignificantBits()) + 1);
    String body = "{\"id\":\"" + id + "\"," + transfer(a, b, "9").substring(1);
    String k = key();
    Answer first = api.post("/v1/transfers", u, k, body);
    assertThat(first.status()).isEqualTo(201);
    sameReplay(first, api.post("/v1/transfers", u, k, body));
    // Redis flushed: the key is forgotten, the ledger still holds the id.
    node.get().services().redis().send(Request.cmd(Command.FLUSHALL)).await();
    Answer again = api.post("/v1/transfers", u, k, body);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().getString("result")).isEqualTo("exists");
    Answer changed = api.post("/v1/transfers", u, key(), body.replace("\"9\"", "\"10\""));
    assertThat(changed.status()).isEqualTo(409);
    assertThat(changed.json().getString("result")).isEqualTo("exists_with_different_amount");
    assertThat(debits(a)).isEqualTo("9");
    assertThat(pgRows(k)).isZero();
  }
}
