package dev.ledgerline.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.events.NewEvent;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.PostgresExtension;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The outbox relay inside real nodes on a real embedded PostgreSQL: one active per cluster, readiness shows it and its
 * lag, a node's stop hands it over, and PostgreSQL going away fails publishing and is ridden out from the cursor.
 */
class EventRelayNodeTest {
  /** A PostgreSQL outside the nodes, for two nodes of one cluster (a node's embedded one would stop with it). */
  @RegisterExtension
  static final PostgresExtension shared = new PostgresExtension();

  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final String TYPE = "user.updated";
  private final EventPublisher publisher = new EventPublisher(EventTypes.KNOWN, 65536);

  /** A running node and its management port. */
  private record Started(Node node, int port) {
    JsonObject events() {
      return Health.check(Health.ready(node.vertx(), port).getValue(), "events");
    }
  }

  /** A node whose only role is transactions: PostgreSQL, no Redis. */
  private Started transactionsNode(Map<String, String> more) {
    int port = FreePorts.next();
    Map<String, String> keys = new HashMap<>(Map.of("node.roles", "transactions", "events.poll-interval", "200ms",
        "management.port", String.valueOf(port)));
    keys.putAll(more);
    return new Started(nodes.start(keys), port);
  }

  private static JsonObject consumer(JsonObject check, String name) {
    JsonArray all = check.getJsonObject("data").getJsonArray("consumers");
    return all.stream().map(JsonObject.class::cast).filter(c -> name.equals(c.getString("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no consumer " + name + " in " + check.encode()));
  }

  private void publish(Pool pool, String aggregate, int n) {
    pool.withTransaction(tx -> publisher.publish(tx, NewEvent.of(TYPE, aggregate, "test",
        new JsonObject().put("n", n)))).await();
  }

  @Test
  void oneRelayIsActivePerClusterAndAStoppingNodeHandsItOver() {
    Map<String, String> external = Map.of("postgres.mode", "external", "postgres.url", shared.url().url());
    Started startedA = transactionsNode(external);
    Node a = startedA.node();
    Poll.until(PATIENCE, "node A's relay active", () -> a.relay().active());
    JsonObject check = startedA.events();
    assertThat(check.getString("status")).isEqualTo("UP");
    assertThat(check.getJsonObject("data").getString("relay")).isEqualTo("active");
    assertThat(check.getJsonObject("data").getBoolean("cluster_relay_active")).isTrue();
    assertThat(consumer(check, "pubsub").getLong("undelivered")).isZero();

    Started startedB = transactionsNode(external);
    Node b = startedB.node();
    JsonObject standby = startedB.events();
    assertThat(standby.getString("status")).isEqualTo("UP");
    assertThat(standby.getJsonObject("data").getString("relay")).isEqualTo("standby");
    assertThat(standby.getJsonObject("data").getBoolean("cluster_relay_active")).isTrue();
    assertThat(b.relay().active()).isFalse();

    // Published through B, relayed by A: the two nodes are not clustered, so A's own event bus carries it.
    List<JsonObject> seenOnA = new CopyOnWriteArrayList<>();
    a.vertx().eventBus().<JsonObject>consumer(EventTypes.address(TYPE), m -> seenOnA.add(m.body()))
        .completion().await();
    publish(b.services().pool(), "agg-1", 1);
    Poll.until(PATIENCE, "delivered by A", () -> seenOnA.size() == 1);

    // A stops: its relay gives up the lock cleanly and B takes over.
    a.stop().join();
    Poll.until(PATIENCE, "B's relay active", () -> b.relay().active());
    assertThat(startedB.events().getJsonObject("data").getString("relay")).isEqualTo("active");
    List<JsonObject> seenOnB = new CopyOnWriteArrayList<>();
    b.vertx().eventBus().<JsonObject>consumer(EventTypes.address(TYPE), m -> seenOnB.add(m.body()))
        .completion().await();
    publish(b.services().pool(), "agg-1", 2);
    Poll.until(PATIENCE, "delivered by B", () -> seenOnB.stream().anyMatch(e -> e.getLong("sequence") == 2));
    // B resumed from A's cursor: the first event is not delivered again.
    assertThat(seenOnB).extracting(e -> e.getLong("sequence")).containsExactly(2L);
  }

  @Test
  void readinessShowsTheLagWhileAnOlderTransactionHoldsDeliveryBack() {
    Started started = transactionsNode(Map.of());
    Node node = started.node();
    int port = started.port();
    Poll.until(PATIENCE, "relay active", () -> node.relay().active());
    Pool pool = node.services().pool();
    // An open transaction with an id: nothing committed after it may be delivered before it ends.
    SqlConnection blocker = pool.getConnection().await();
    try {
      blocker.query("BEGIN").execute().await();
      blocker.query("SELECT pg_current_xact_id()").execute().await();
      publish(pool, "held-1", 1);
      publish(pool, "held-2", 1);
      Poll.until(PATIENCE, "two events undelivered",
          () -> consumer(started.events(), "pubsub").getLong("undelivered") == 2);
      Poll.until(PATIENCE, "the oldest's age grows",
          () -> consumer(started.events(), "pubsub").getLong("oldest_undelivered_ms") > 0);
      blocker.query("COMMIT").execute().await();
    } finally {
      blocker.close().await();
    }
    Poll.until(PATIENCE, "caught up", () -> consumer(started.events(), "pubsub").getLong("undelivered") == 0);
    assertThat(consumer(started.events(), "pubsub").getLong("oldest_undelivered_ms")).isZero();
  }

  @Test
  void postgresUnreachableFailsPublishingAndTheRelayResumesFromItsCursor() throws Exception {
    Started started = transactionsNode(Map.of());
    Node node = started.node();
    int port = started.port();
    Poll.until(PATIENCE, "relay active", () -> node.relay().active());
    Pool pool = node.services().pool();
    List<JsonObject> seen = new CopyOnWriteArrayList<>();
    node.vertx().eventBus().<JsonObject>consumer(EventTypes.address(TYPE), m -> seen.add(m.body()))
        .completion().await();
    publish(pool, "acct-1", 1);
    Poll.until(PATIENCE, "first event delivered", () -> seen.size() == 1);
    Poll.until(PATIENCE, "and its cursor recorded",
        () -> consumer(started.events(), "pubsub").getLong("undelivered") == 0);

    // PostgreSQL goes away for the node: its database takes no connections, and every open session is ended (as on a
    // restart or a network cut). An administrator's session on another database brings it back.
    var url = node.services().postgresUrl().orElseThrow();
    String database = url.database();
    io.vertx.pgclient.PgConnection admin = io.vertx.pgclient.PgConnection.connect(node.vertx(),
        new io.vertx.pgclient.PgConnectOptions(url.connectOptions()).setDatabase("postgres")).await();
    try {
      admin.query("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false").execute().await();
      admin.preparedQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1")
          .execute(io.vertx.sqlclient.Tuple.of(database)).await();
      // Publishing fails the caller's transaction: nothing can be written.
      var failed = pool.withTransaction(tx -> publisher.publish(tx, NewEvent.of(TYPE, "acct-1", "test",
          new JsonObject().put("n", 2)))).toCompletionStage().toCompletableFuture().handle((v, e) -> e).get();
      assertThat(failed).isNotNull();
      Poll.until(PATIENCE, "readiness shows the relay unavailable", () -> {
        Map.Entry<Integer, JsonObject> ready = Health.ready(node.vertx(), port);
        return ready.getKey() == 503 && "DOWN".equals(Health.check(ready.getValue(), "events").getString("status"));
      });
      assertThat(node.relay().active()).isFalse();

      admin.query("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true").execute().await();
      Poll.until(PATIENCE, "relay active again", () -> node.relay().active());
      Poll.until(PATIENCE, "readiness shows it active",
          () -> "active".equals(started.events().getJsonObject("data").getString("relay")));
      publish(pool, "acct-1", 3);
      Poll.until(PATIENCE, "next event delivered", () -> seen.size() >= 2);
      // Resumed from the cursor: the event delivered before the outage is not sent again, and the aggregate's
      // sequence has no gap (the failed publish took no number).
      assertThat(seen).extracting(e -> e.getLong("sequence")).containsExactly(1L, 2L);
      assertThat(seen.get(1).getJsonObject("payload").getInteger("n")).isEqualTo(3);
    } finally {
      admin.query("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true").execute().await();
      admin.close().await();
    }
  }
}
