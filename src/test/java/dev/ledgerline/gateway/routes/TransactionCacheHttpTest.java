package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.events.NewEvent;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.transactions.TransactionEventHandler;
import dev.ledgerline.users.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Tuple;
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
 * GET /v1/payments/{id} and GET /v1/transfers/{id} through the transactions cache ({@code transaction:<id>}) on one
 * node: who gets a cached answer (caller × cache state), validators and 304s, read-through, a change of a payment's
 * row dropping its entry at once, and the {@code transaction.updated} handler writing the entry GET serves.
 */
class TransactionCacheHttpTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).set("cache.debug-headers", "true").build();
  private static final EventPublisher PUBLISHER = new EventPublisher(EventTypes.KNOWN, 65536);
  private static ApiClient api;
  private static String operator;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    operator = node.tokens().issue("tx-operator", Role.OPERATOR);
  }

  /** A payment row of {@code owner}'s, as the gateway's POST writes it (the saga does not run on this node). */
  private static String payment(String owner) {
    String id = UUID.randomUUID().toString();
    node.get().services().pool().preparedQuery("INSERT INTO payments (id, owner, status, from_account_id, amount, "
        + "ledger, code, provider, linked_account_id) VALUES ($1::uuid, $2, 'pending', 7, 250, 1, 10, 'plaid', "
        + "'link-1')").execute(Tuple.of(id, owner)).await();
    return id;
  }

  private static String account(String token) {
    Answer a = api.post("/v1/accounts", token, null, "{\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return a.json().getString("id");
  }

  /** A transfer between two new accounts of the token's subject; answers its id. */
  private static String transfer(String token) {
    String id = String.valueOf(Math.abs(UUID.randomUUID().getMostSignificantBits()));
    Answer a = api.post("/v1/transfers", token, UUID.randomUUID().toString(), "{\"id\":\"" + id
        + "\",\"debit_account_id\":\"" + account(token) + "\",\"credit_account_id\":\"" + account(token)
        + "\",\"amount\":\"5\",\"ledger\":1,\"code\":1}");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(201);
    return id;
  }

  // ---- BOLA: a cached answer is never served to another user ----

  enum Caller { OWNER, OTHER_USER, OPERATOR, NO_TOKEN }

  enum Kind { PAYMENT, TRANSFER }

  static Stream<Arguments> callers() {
    Stream.Builder<Arguments> rows = Stream.builder();
    for (Kind kind : Kind.values()) {
      rows.add(Arguments.of(kind, Caller.OWNER, false, 200)).add(Arguments.of(kind, Caller.OWNER, true, 200))
          .add(Arguments.of(kind, Caller.OTHER_USER, false, 404)).add(Arguments.of(kind, Caller.OTHER_USER, true, 404))
          .add(Arguments.of(kind, Caller.OPERATOR, false, 200)).add(Arguments.of(kind, Caller.OPERATOR, true, 200))
          .add(Arguments.of(kind, Caller.NO_TOKEN, false, 401)).add(Arguments.of(kind, Caller.NO_TOKEN, true, 401));
    }
    return rows.build();
  }

  @ParameterizedTest(name = "{0}: {1}, cached first: {2} -> {3}")
  @MethodSource("callers")
  void onlyCallersAllowedToReadTheTransactionGetItsCachedAnswer(Kind kind, Caller caller, boolean warm,
      int expected) {
    String subject = "tx-owner-" + UUID.randomUUID();
    String owner = node.tokens().issue(subject, Role.USER);
    String path = kind == Kind.PAYMENT ? "/v1/payments/" + payment(subject) : "/v1/transfers/" + transfer(owner);
    if (warm) {
      Answer first = api.get(path, owner, Map.of());
      assertThat(first.status()).isEqualTo(200);
      assertThat(api.get(path, owner, Map.of()).header("X-Cache")).isEqualTo("L1");
      if (caller != Caller.OWNER && caller != Caller.OPERATOR) {
        // A known tag does not turn a refused read into a 304 either.
        Answer r = api.get(path, token(caller), Map.of("If-None-Match", first.header("ETag")));
        assertThat(r.status()).isEqualTo(expected);
        assertThat(r.header("ETag")).isNull();
      }
    }
    Answer r = api.get(path, caller == Caller.OWNER ? owner : token(caller), Map.of());
    assertThat(r.status()).isEqualTo(expected);
    if (expected == 200) {
      assertThat(path).endsWith(r.json().getString("id"));
      assertThat(r.header("X-Cache")).isEqualTo(warm ? "L1" : "miss");
    } else {
      assertThat(r.header("ETag")).isNull();
      assertThat(r.header("X-Cache")).isNull();
      assertThat(r.raw().toString()).doesNotContain("amount");
      assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    }
  }

  private static String token(Caller c) {
    return switch (c) {
      case OWNER -> throw new IllegalStateException("the owner's token is made per case");
      case OTHER_USER -> node.tokens().issue("tx-other", Role.USER);
      case OPERATOR -> operator;
      case NO_TOKEN -> null;
    };
  }

  // ---- validators, read-through, invalidation ----

  @Test
  void aPaymentAnswerCarriesItsValidatorsAndAChangeOfItsRowDropsItAtOnce() {
    String subject = "tx-kim-" + UUID.randomUUID();
    String kim = node.tokens().issue(subject, Role.USER);
    String path = "/v1/payments/" + payment(subject);
    Answer first = api.get(path, kim, Map.of());
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.header("X-Cache")).isEqualTo("miss");
    String etag = first.header("ETag");
    assertThat(etag).matches("\"1-[0-9a-f]+\"");
    assertThat(first.header("Cache-Control")).matches("private, max-age=(599|600)");
    assertThat(first.header("Vary")).isEqualTo("Authorization, Cookie");
    assertThat(first.header("Age")).isEqualTo("0");

    Answer again = api.get(path, kim, Map.of("If-None-Match", etag));
    assertThat(again.status()).isEqualTo(304);
    assertThat(again.header("X-Cache")).isEqualTo("L1");
    assertThat(again.header("ETag")).isEqualTo(etag);
    Answer through = api.get(path + "?consistent=true", kim, Map.of());
    assertThat(through.header("X-Cache")).isEqualTo("miss");
    assertThat(through.header("ETag")).isEqualTo(etag);
    Answer noCache = api.get(path, kim, Map.of("Cache-Control", "no-cache", "If-None-Match", etag));
    assertThat(noCache.status()).isEqualTo(304);
    assertThat(noCache.header("X-Cache")).isEqualTo("miss");
    assertThat(api.get(path + "?consistent=maybe", kim, Map.of()).status()).isEqualTo(400);
    // The id in capitals is the same payment, so the same entry, which the change below drops.
    String upper = path.toUpperCase(java.util.Locale.ROOT).replace("/V1/PAYMENTS/", "/v1/payments/");
    Answer capitals = api.get(upper, kim, Map.of());
    assertThat(capitals.status()).isEqualTo(200);
    assertThat(capitals.header("X-Cache")).isEqualTo("L1");

    // The owner's cancel changes the row (not its version): the entry is dropped before the 202, and the tag changes.
    Answer cancel = api.post(path + "/cancel", kim, null, null);
    assertThat(cancel.status()).as(cancel.raw().toString()).isEqualTo(202);
    Answer after = api.get(path, kim, Map.of("If-None-Match", etag));
    assertThat(after.status()).isEqualTo(200);
    assertThat(after.header("X-Cache")).isEqualTo("miss");
    assertThat(after.json().getBoolean("cancel_requested")).isTrue();
    assertThat(after.header("ETag")).isNotEqualTo(etag).startsWith("\"1-");
    assertThat(api.get(upper, kim, Map.of()).json().getBoolean("cancel_requested")).isTrue();
  }

  @Test
  void aTransferAnswerCarriesItsValidatorsAndAKnownTagGets304WithoutTheLedger() {
    String lee = node.tokens().issue("tx-lee-" + UUID.randomUUID(), Role.USER);
    String path = "/v1/transfers/" + transfer(lee);
    Answer first = api.get(path, lee, Map.of());
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.header("X-Cache")).isEqualTo("miss");
    String etag = first.header("ETag");
    assertThat(etag).matches("\"[0-9]+-[0-9a-f]+\"");
    assertThat(first.header("Cache-Control")).matches("private, max-age=(599|600)");
    Answer again = api.get(path, lee, Map.of("If-None-Match", etag));
    assertThat(again.status()).isEqualTo(304);
    assertThat(again.header("X-Cache")).isEqualTo("L1");
    assertThat(api.get(path + "?consistent=true", lee, Map.of()).header("X-Cache")).isEqualTo("miss");
    assertThat(api.get("/v1/transfers/" + Long.MAX_VALUE, lee, Map.of()).status()).isEqualTo(404);
  }

  @Test
  void theTransactionUpdatedHandlerWritesTheEntryThatGetServes() {
    String subject = "tx-ann-" + UUID.randomUUID();
    String ann = node.tokens().issue(subject, Role.USER);
    String id = payment(subject);
    JsonObject snapshot = new JsonObject().put("id", id).put("version", 1).put("kind", "payment")
        .put("status", "pending").put("account_ids", new JsonArray().add("7")).put("amount", "250").put("ledger", 1)
        .put("code", 10).put("created_at", "2026-01-02T03:04:05Z").put("updated_at", "2026-01-02T03:04:05Z");
    node.get().services().pool().withTransaction(tx -> PUBLISHER.publish(tx,
        NewEvent.of(TransactionEventHandler.UPDATED, "payment-" + id, "test", snapshot))).await();
    Poll.until(Duration.ofSeconds(20), "the node's handler writes transaction:" + id, () -> node.get().services()
        .redis().send(Request.cmd(Command.EXISTS).arg("ll:cache:transaction:" + id)).await().toInteger() == 1);
    Answer r = api.get("/v1/payments/" + id, ann, Map.of());
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("X-Cache")).as("the handler's entry, read from Redis").isEqualTo("L2");
    assertThat(r.json().getString("status")).isEqualTo("pending");
    assertThat(api.get("/v1/payments/" + id, node.tokens().issue("tx-other", Role.USER), Map.of()).status())
        .isEqualTo(404);
  }
}
