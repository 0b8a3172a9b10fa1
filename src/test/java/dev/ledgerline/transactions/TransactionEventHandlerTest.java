package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.cache.TransactionCache;
import dev.ledgerline.config.LedgerlineConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.ledgerline.events.DeadEvent;
import dev.ledgerline.events.Event;
import dev.ledgerline.events.EventConsumer;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.events.NewEvent;
import dev.ledgerline.events.OutboxRelay;
import dev.ledgerline.infra.temporal.TemporalService;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The transaction event handler behind the real outbox relay, on the node's PostgreSQL and Redis, with workflows
 * started on Temporal's in-process server and run by a test implementation of {@link PaymentWorkflow}.
 */
class TransactionEventHandlerTest {
  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.node().roles("gateway", "ledger").build();

  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final EventPublisher PUBLISHER = new EventPublisher(EventTypes.KNOWN, 65536);
  private static TemporalService temporal;
  private static MessageConsumer<String> starts;
  private OutboxRelay relay;
  private Pool pool;
  private TransactionEventHandler handler;

  @BeforeAll
  static void startTemporal() {
    // The node's own relay would hold the cluster's relay lock (and deliver to its own handler): these tests drive
    // a relay of their own, with a consumer that loses acknowledgements.
    if (NODE.get().relay() != null) NODE.get().relay().stop().await();
    Vertx vertx = NODE.get().vertx();
    temporal = TemporalService.start(vertx, NODE.config().current().temporal(), "test", TransactionsApi.TASK_QUEUE,
        w -> w.registerWorkflowImplementationTypes(CountingPayment.class)).await();
    starts = PaymentStarts.register(vertx, temporal);
    starts.completion().await();
  }

  @AfterAll
  static void stopTemporal() {
    starts.unregister().await();
    temporal.stop().await();
  }

  @BeforeEach
  void clean() {
    pool = NODE.get().services().pool();
    pool.query("TRUNCATE events_outbox, events_aggregates, events_consumers, events_dead, events_processed, "
        + "transaction_search").execute().await();
    handler = TransactionEventHandler.create(NODE.get().vertx(), NODE.get().services(), NODE.config().current(),
        new TransactionCache(NODE.get().vertx(), NODE.get().services().redis(), NODE.config().current(),
            new SimpleMeterRegistry(), System::currentTimeMillis));
  }

  @AfterEach
  void stopRelay() {
    if (relay != null) relay.stop().await();
  }

  private void startRelay(int maxAttempts, EventConsumer consumer) {
    relay = new OutboxRelay(NODE.get().vertx(), pool, NODE.get().services().postgresUrl().orElseThrow().connectOptions(),
        new LedgerlineConfig.Events(65536, maxAttempts, Duration.ofHours(1), Duration.ofMillis(100), 100,
            Duration.ofSeconds(20), Duration.ofMillis(10), Duration.ofMillis(50), 2_000_000_000),
        List.of(consumer));
    relay.start().await();
  }

  private Event publish(String type, String aggregate, JsonObject payload) {
    return pool.withTransaction(tx -> PUBLISHER.publish(tx, NewEvent.of(type, aggregate, "test", payload))).await();
  }

  private static JsonObject snapshot(String id, long version, String status, String description) {
    return new JsonObject().put("id", id).put("version", version).put("kind", "payment").put("status", status)
        .put("account_ids", new JsonArray().add("340282366920938463463374607431768211455").add("7"))
        .put("amount", "340282366920938463463374607431768211455").put("ledger", 1).put("code", 10)
        .put("description", description).put("metadata", new JsonObject().put("invoice", "INV-77"))
        .put("provider_reference", "plaid-tr-" + version)
        .put("created_at", "2026-01-02T03:04:05Z").put("updated_at", "2026-01-02T03:04:0" + version + "Z");
  }

  private Row searchRow(String id) {
    var rows = pool.preparedQuery("SELECT * FROM transaction_search WHERE id = $1").execute(Tuple.of(id)).await();
    return rows.size() == 0 ? null : rows.iterator().next();
  }

  /** Hands every delivery to the handler, and "loses" the acknowledgement of the first few, as a relay crash would. */
  private static final class LosingAcks implements EventConsumer {
    final EventConsumer inner;
    final int lose;
    final List<Event> deliveries = new CopyOnWriteArrayList<>();

    LosingAcks(EventConsumer inner, int lose) {
      this.inner = inner;
      this.lose = lose;
    }

    @Override
    public String name() {
      return inner.name();
    }

    @Override
    public Future<Void> handle(Event event) {
      deliveries.add(event);
      return inner.handle(event).compose(v -> deliveries.size() <= lose
          ? Future.failedFuture("acknowledgement lost") : Future.succeededFuture());
    }
  }

  @Test
  void aCreatedEventDeliveredThreeTimesStartsOneWorkflow() throws Exception {
    LosingAcks losing = new LosingAcks(handler, 2);
    startRelay(10, losing);
    Event created = publish(TransactionEventHandler.CREATED, "pay-1", new JsonObject().put("id", "pay-1"));

    Poll.until(PATIENCE, "three deliveries and no lag",
        () -> losing.deliveries.size() == 3 && relay.lag().await().stream().allMatch(l -> l.events() == 0));
    assertThat(losing.deliveries).extracting(Event::id).containsOnly(created.id());
    Poll.until(PATIENCE, "the workflow ran", () -> CountingPayment.RUNS.containsKey("pay-1"));
    temporal.client().newUntypedWorkflowStub(TransactionsApi.workflowId("pay-1")).getResult(Void.class);
    // Also a publisher that sends the same fact again, after the workflow completed: the id is not reused.
    publish(TransactionEventHandler.CREATED, "pay-1", new JsonObject().put("id", "pay-1"));
    Poll.until(PATIENCE, "four deliveries and no lag",
        () -> losing.deliveries.size() == 4 && relay.lag().await().stream().allMatch(l -> l.events() == 0));
    assertThat(CountingPayment.RUNS.get("pay-1").get()).isEqualTo(1);
    assertThat(relay.dead(TransactionEventHandler.NAME, 10).await()).isEmpty();
  }

  @Test
  void anUpdateReachesSearchAndCacheAndAnOlderVersionNeverOverwritesANewerOne() {
    startRelay(10, handler);
    publish(TransactionEventHandler.UPDATED, "pay-2", snapshot("pay-2", 1, "pending", "coffee beans"));
    Poll.until(PATIENCE, "version 1 indexed", () -> searchRow("pay-2") != null);
    publish(TransactionEventHandler.UPDATED, "pay-2", snapshot("pay-2", 3, "completed", "coffee beans for the office"));
    publish(TransactionEventHandler.UPDATED, "pay-2", snapshot("pay-2", 2, "reserved", "stale"));
    publish(TransactionEventHandler.UPDATED, "pay-2", snapshot("pay-2", 3, "completed", "coffee beans for the office"));
    Poll.until(PATIENCE, "all delivered", () -> relay.lag().await().stream().allMatch(l -> l.events() == 0));

    Row row = searchRow("pay-2");
    assertThat(row.getLong("version")).isEqualTo(3);
    assertThat(row.getString("status")).isEqualTo("completed");
    assertThat(row.getString("description")).isEqualTo("coffee beans for the office");
    assertThat(row.getBigDecimal("amount")).isEqualTo(new BigDecimal("340282366920938463463374607431768211455"));
    assertThat(row.getString("provider_reference")).isEqualTo("plaid-tr-3");
    assertThat(handler.cached("pay-2").await()).as("no payment row here: nothing is cached").isNull();

    // The index answers full-text, typo-tolerant, metadata and account queries.
    assertThat(ids("SELECT id FROM transaction_search WHERE search @@ plainto_tsquery('simple', 'office')"))
        .containsExactly("pay-2");
    assertThat(ids("SELECT id FROM transaction_search WHERE search @@ plainto_tsquery('simple', 'INV-77')"))
        .containsExactly("pay-2");
    assertThat(ids("SELECT id FROM transaction_search WHERE description % 'cofee beens for the ofice'"))
        .containsExactly("pay-2");
    assertThat(ids("SELECT id FROM transaction_search WHERE account_ids && ARRAY[7]::numeric[]"))
        .containsExactly("pay-2");
    assertThat(relay.dead(TransactionEventHandler.NAME, 10).await()).isEmpty();
  }

  @Test
  void anUpdateWritesThePaymentsCurrentAnswerToTheCacheAndALateOneNeverAnOlderAnswer() {
    String id = java.util.UUID.randomUUID().toString();
    pool.preparedQuery("INSERT INTO payments (id, owner, status, from_account_id, amount, ledger, code, provider, "
        + "linked_account_id, version) VALUES ($1::uuid, 'ann', 'pending', 7, 250, 1, 10, 'plaid', 'link-1', 1)")
        .execute(Tuple.of(id)).await();
    startRelay(10, handler);
    publish(TransactionEventHandler.UPDATED, id, snapshot(id, 1, "pending", "rent"));
    Poll.until(PATIENCE, "the entry is written", () -> handler.cached(id).await() != null);
    TransactionCache.Cached first = handler.cached(id).await();
    assertThat(first.kind()).isEqualTo(TransactionCache.Kind.PAYMENT);
    assertThat(first.owner()).isEqualTo("ann");
    assertThat(first.version()).isEqualTo(1);
    assertThat(first.body().toJsonObject().getString("status")).isEqualTo("pending");
    Long ttl = NODE.get().services().redisApi().pttl("ll:cache:transaction:" + id).await().toLong();
    assertThat(ttl).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(10).toMillis());

    // The row moves on; an event for an older version arrives late: the entry is the row as it is now.
    pool.preparedQuery("UPDATE payments SET status = 'completed', version = 3 WHERE id = $1::uuid")
        .execute(Tuple.of(id)).await();
    publish(TransactionEventHandler.UPDATED, id, snapshot(id, 2, "reserved", "rent"));
    Poll.until(PATIENCE, "all delivered", () -> relay.lag().await().stream().allMatch(l -> l.events() == 0));
    Poll.until(PATIENCE, "the entry follows the row", () -> {
      TransactionCache.Cached now = handler.cached(id).await();
      return now != null && now.version() == 3 && "completed".equals(now.body().toJsonObject().getString("status"));
    });
    assertThat(relay.dead(TransactionEventHandler.NAME, 10).await()).isEmpty();
  }

  @Test
  void otherEventTypesAreIgnored() {
    startRelay(1, handler);
    publish("user.created", "user-1", new JsonObject().put("anything", true));
    Poll.until(PATIENCE, "delivered", () -> relay.lag().await().stream().allMatch(l -> l.events() == 0));
    assertThat(relay.dead(TransactionEventHandler.NAME, 10).await()).isEmpty();
  }

  @Test
  void malformedPayloadsAreParkedWithTheirReason() {
    startRelay(2, handler);
    publish(TransactionEventHandler.CREATED, "bad-1", new JsonObject().put("id", 42));
    publish(TransactionEventHandler.UPDATED, "bad-2", snapshot("bad-2", 1, "pending", "x").put("amount", 10.5));
    publish(TransactionEventHandler.UPDATED, "bad-3", snapshot("bad-3", 1, "pending", "x")
        .put("amount", "340282366920938463463374607431768211456"));
    publish(TransactionEventHandler.UPDATED, "bad-4", new JsonObject().put("id", "bad-4"));
    // A good event after them is still handled: parking holds back only the bad event's own aggregate.
    publish(TransactionEventHandler.UPDATED, "good-1", snapshot("good-1", 1, "pending", "fine"));

    Poll.until(PATIENCE, "four parked", () -> relay.dead(TransactionEventHandler.NAME, 10).await().size() == 4);
    List<DeadEvent> dead = relay.dead(TransactionEventHandler.NAME, 10).await();
    assertThat(dead).extracting(d -> d.event().aggregateId()).containsExactlyInAnyOrder("bad-1", "bad-2", "bad-3",
        "bad-4");
    assertThat(dead).allSatisfy(d -> assertThat(d.error()).contains(TransactionEventException.class.getSimpleName()));
    assertThat(dead).filteredOn(d -> d.event().aggregateId().equals("bad-3")).singleElement()
        .satisfies(d -> assertThat(d.error()).contains("amount does not fit a u128"));
    Poll.until(PATIENCE, "the good one indexed", () -> searchRow("good-1") != null);
    assertThat(searchRow("bad-2")).isNull();
  }

  private List<String> ids(String sql) {
    List<String> out = new CopyOnWriteArrayList<>();
    pool.query(sql).execute().await().forEach(r -> out.add(r.getString("id")));
    return out;
  }
}
