package dev.ledgerline.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The outbox and its relay against a real PostgreSQL: atomicity, at-least-once, order, parking, redelivery. */
class OutboxRelayTest {
  @RegisterExtension
  static final NodeExtension LEDGER_NODE = EventsTestBed.ledgerNode();

  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final EventTypes TYPES = EventTypes.of(Map.of("test.happened", 1, "test.other", 2));
  private static final String TYPE = "test.happened";

  private final EventPublisher publisher = new EventPublisher(TYPES, 1024);
  private final List<OutboxRelay> relays = new ArrayList<>();
  private final EventsTestBed bed = EventsTestBed.of(LEDGER_NODE);
  private Pool pool;

  @BeforeEach
  void clean() {
    pool = bed.pool();
    bed.clearOutbox();
  }

  @AfterEach
  void stopRelays() {
    for (OutboxRelay r : relays) r.stop().await();
  }

  private OutboxRelay relay(Vertx vertx, int maxAttempts, EventConsumer... consumers) {
    OutboxRelay relay = new OutboxRelay(vertx, pool, bed.connectOptions(),
        EventsTestBed.settings(maxAttempts), List.of(consumers));
    relays.add(relay);
    relay.start().await();
    return relay;
  }

  private Event publishCommitted(String aggregate, JsonObject payload) {
    return pool.withTransaction(tx -> publisher.publish(tx, NewEvent.of(TYPE, aggregate, "test", payload))).await();
  }

  /** Records every delivery; handles an event id once (dedupe in its own transaction). */
  private class Recording implements EventConsumer {
    final String name;
    final List<Event> deliveries = new CopyOnWriteArrayList<>();
    final List<Event> handled = new CopyOnWriteArrayList<>();

    Recording(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Future<Void> handle(Event event) {
      deliveries.add(event);
      return pool.withTransaction(tx -> ProcessedEvents.claim(tx, name, event.id()).map(first -> {
        if (first) handled.add(event);
        return null;
      }));
    }
  }

  @Test
  void aCommitPublishesAndARollbackPublishesNothing() throws Exception {
    List<JsonObject> subscribed = new CopyOnWriteArrayList<>();
    bed.vertx().eventBus().<JsonObject>consumer(EventTypes.address(TYPE), m -> subscribed.add(m.body()))
        .completion().await();
    Recording consumer = new Recording("atomicity");
    OutboxRelay relay = relay(bed.vertx(), 3, consumer);

    Event first = publishCommitted("order-1", new JsonObject().put("n", 1));
    Future<Void> rolledBack = pool.withTransaction(tx -> publisher.publish(tx,
            NewEvent.of(TYPE, "order-1", "test", new JsonObject().put("n", 2)))
        .compose(e -> Future.failedFuture("the caller's change fails")));
    assertThat(rolledBack.toCompletionStage().toCompletableFuture().handle((v, e) -> e).get(30, TimeUnit.SECONDS))
        .isNotNull();
    Event third = publishCommitted("order-1", new JsonObject().put("n", 3));

    Poll.until(PATIENCE, "both committed events delivered and published",
        () -> consumer.handled.size() == 2 && subscribed.size() == 2);
    assertThat(consumer.handled).extracting(e -> e.payload().getInteger("n")).containsExactly(1, 3);
    // The rolled-back publish took no sequence number: the aggregate's sequence has no gap.
    assertThat(List.of(first.sequence(), third.sequence())).containsExactly(1L, 2L);
    assertThat(consumer.handled).extracting(Event::sequence).containsExactly(1L, 2L);
    assertThat(subscribed).extracting(j -> j.getJsonObject("payload").getInteger("n")).containsExactly(1, 3);
    assertThat(Event.fromJson(subscribed.get(0))).isEqualTo(consumer.handled.get(0));
    assertThat(pool.query("SELECT count(*) FROM events_outbox").execute().await().iterator().next().getLong(0))
        .isEqualTo(2);
    Poll.until(PATIENCE, "no lag left", () -> relay.lag().await().stream().allMatch(l -> l.events() == 0));
  }

  @Test
  void metadataIsKeptAndEventIdsAreVersion7() throws Exception {
    Recording consumer = new Recording("metadata");
    relay(bed.vertx(), 3, consumer);
    NewEvent draft = NewEvent.of(TYPE, "order-9", "payments", new JsonObject().put("amount", "12"))
        .causedBy("request-77", "command-5");
    pool.withTransaction(tx -> publisher.publish(tx, draft)).await();
    Poll.until(PATIENCE, "delivered", () -> consumer.handled.size() == 1);
    Event got = consumer.handled.get(0);
    assertThat(got.id()).isEqualTo(draft.id());
    assertThat(got.id().version()).isEqualTo(7);
    assertThat(Uuid7.millisOf(got.id()))
        .isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
    assertThat(got.correlationId()).isEqualTo("request-77");
    assertThat(got.causationId()).isEqualTo("command-5");
    assertThat(got.source()).isEqualTo("payments");
    assertThat(got.aggregateId()).isEqualTo("order-9");
    assertThat(got.occurredAt().toEpochMilli()).isEqualTo(draft.occurredAt().toEpochMilli());
  }

  @Test
  void anUnknownTypeOrAnOversizedPayloadIsRefusedBeforeAnythingIsWritten() {
    assertThatThrownBy(() -> pool.withTransaction(tx -> publisher.publish(tx,
            NewEvent.of("test.unknown", "a", "test", new JsonObject()))).await())
        .isInstanceOfSatisfying(EventRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.UNKNOWN_TYPE));
    assertThatThrownBy(() -> pool.withTransaction(tx -> publisher.publish(tx,
            NewEvent.of(TYPE, "a", "test", new JsonObject().put("big", "x".repeat(1024))))).await())
        .isInstanceOfSatisfying(EventRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.PAYLOAD_TOO_LARGE));
    // Refused before the database was asked: even a transaction that goes on to commit holds no event.
    pool.withTransaction(tx -> publisher.publish(tx, NewEvent.of("test.unknown", "a", "test", new JsonObject()))
        .otherwiseEmpty()).await();
    assertThat(pool.query("SELECT count(*) FROM events_outbox").execute().await().iterator().next().getLong(0))
        .isZero();
  }

  @Test
  void aRelayKilledBetweenSendAndMarkDeliversAgainAndTheConsumerHandlesOnce() throws Exception {
    Vertx doomed = Vertx.vertx();
    AtomicBoolean killed = new AtomicBoolean();
    Recording consumer = new Recording("crash") {
      @Override
      public Future<Void> handle(Event event) {
        Future<Void> handled = super.handle(event);
        if (killed.compareAndSet(false, true)) {
          // The consumer's work is done and committed; the relay process dies before it records the delivery.
          return handled.compose(v -> {
            doomed.close();
            return Promise.<Void>promise().future();
          });
        }
        return handled;
      }
    };
    OutboxRelay dying = relay(doomed, 3, consumer);
    relays.remove(dying); // its Vert.x is closed by the test: nothing left to stop
    Event event = publishCommitted("order-2", new JsonObject().put("n", 1));
    Poll.until(PATIENCE, "first relay died after the delivery", () -> killed.get() && consumer.deliveries.size() == 1);

    OutboxRelay second = relay(bed.vertx(), 3, consumer);
    Poll.until(PATIENCE, "delivered again by the next relay", () -> consumer.deliveries.size() == 2);
    Poll.until(PATIENCE, "cursor moved", () -> second.lag().await().stream().allMatch(l -> l.events() == 0));
    assertThat(consumer.deliveries).extracting(Event::id).containsExactly(event.id(), event.id());
    assertThat(consumer.handled).extracting(Event::id).containsExactly(event.id());
  }

  @Test
  void publishAllNumbersEachAggregateInListOrderAndRefusesAllOrNothing() {
    Recording first = new Recording("all-first");
    Recording second = new Recording("all-second");
    relay(bed.vertx(), 3, first, second);
    publishCommitted("acct-b", new JsonObject().put("n", 0));
    List<NewEvent> drafts = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      drafts.add(NewEvent.of(TYPE, i % 2 == 0 ? "acct-a" : "acct-b", "test", new JsonObject().put("n", i)));
    }
    List<Event> published = pool.withTransaction(tx -> publisher.publishAll(tx, drafts)).await();
    assertThat(published).extracting(Event::id).containsExactlyElementsOf(drafts.stream().map(NewEvent::id).toList());
    assertThat(published).extracting(Event::aggregateId, Event::sequence).containsExactly(
        org.assertj.core.groups.Tuple.tuple("acct-b", 2L), org.assertj.core.groups.Tuple.tuple("acct-a", 1L),
        org.assertj.core.groups.Tuple.tuple("acct-b", 3L), org.assertj.core.groups.Tuple.tuple("acct-a", 2L),
        org.assertj.core.groups.Tuple.tuple("acct-b", 4L), org.assertj.core.groups.Tuple.tuple("acct-a", 3L));

    // Both consumers read the same batches; each gets every event once, in sequence order per aggregate, with a
    // payload of its own.
    Poll.until(PATIENCE, "all delivered to both", () -> first.handled.size() == 7 && second.handled.size() == 7);
    for (Recording r : List.of(first, second)) {
      assertThat(r.handled.stream().filter(e -> e.aggregateId().equals("acct-a")).map(Event::sequence))
          .containsExactly(1L, 2L, 3L);
      assertThat(r.handled.stream().filter(e -> e.aggregateId().equals("acct-b")).map(Event::sequence))
          .containsExactly(1L, 2L, 3L, 4L);
    }
    assertThat(first.handled.get(0).payload()).isNotSameAs(second.handled.get(0).payload());

    List<NewEvent> oneBad = List.of(NewEvent.of(TYPE, "acct-a", "test", new JsonObject()),
        NewEvent.of("no.such.type", "acct-a", "test", new JsonObject()));
    assertThatThrownBy(() -> pool.withTransaction(tx -> publisher.publishAll(tx, oneBad)).await())
        .isInstanceOf(EventRejectedException.class);
    assertThat(pool.query("SELECT count(*) FROM events_outbox").execute().await().iterator().next().getLong(0))
        .isEqualTo(7);
  }

  @Test
  void orderPerAggregateHoldsUnderEightConcurrentPublishers() throws Exception {
    int publishers = 8;
    int perPublisher = 60;
    int aggregates = 4;
    Map<String, List<Long>> durable = new ConcurrentHashMap<>();
    Map<String, List<Long>> subscribed = new ConcurrentHashMap<>();
    Recording consumer = new Recording("order") {
      @Override
      public Future<Void> handle(Event event) {
        durable.computeIfAbsent(event.aggregateId(), k -> Collections.synchronizedList(new ArrayList<>()))
            .add(event.sequence());
        return super.handle(event);
      }
    };
    bed.vertx().eventBus().<JsonObject>consumer(EventTypes.address(TYPE), m ->
        subscribed.computeIfAbsent(m.body().getString("aggregateId"),
            k -> Collections.synchronizedList(new ArrayList<>())).add(m.body().getLong("sequence")))
        .completion().await();
    relay(bed.vertx(), 3, consumer);

    List<Future<?>> all = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      int publisherNo = p;
      Future<Void> chain = Future.succeededFuture();
      for (int i = 0; i < perPublisher; i++) {
        String aggregate = "agg-" + ((publisherNo + i) % aggregates);
        int n = i;
        // Each transaction takes its id before it publishes: a publisher that waited on another for the aggregate
        // can then hold the older id, the case the relay's order key is there for.
        chain = chain.compose(v -> pool.withTransaction(tx -> tx.query("SELECT pg_current_xact_id()").execute()
            .compose(x -> publisher.publish(tx, NewEvent.of(TYPE, aggregate, "publisher-" + publisherNo,
                new JsonObject().put("n", n))))).mapEmpty());
      }
      all.add(chain);
    }
    Future.all(all).await();

    int total = publishers * perPublisher;
    Poll.until(PATIENCE, "every event handled and published",
        () -> consumer.handled.size() == total && subscribed.values().stream().mapToInt(List::size).sum() == total);
    assertThat(consumer.deliveries).hasSize(total);
    for (Map<String, List<Long>> seen : List.of(durable, subscribed)) {
      assertThat(seen).hasSize(aggregates);
      for (List<Long> seqs : seen.values()) {
        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= seqs.size(); s++) expected.add(s);
        assertThat(seqs).isEqualTo(expected);
      }
    }
    Set<UUID> ids = new HashSet<>();
    consumer.handled.forEach(e -> ids.add(e.id()));
    assertThat(ids).hasSize(total);
  }

  @Test
  void aPoisonEventIsParkedWithItsErrorHoldsItsAggregateAndCanBeRedelivered() throws Exception {
    AtomicBoolean broken = new AtomicBoolean(true);
    AtomicInteger poisonAttempts = new AtomicInteger();
    Recording consumer = new Recording("poison") {
      @Override
      public Future<Void> handle(Event event) {
        if (event.payload().getBoolean("poison", false) && broken.get()) {
          poisonAttempts.incrementAndGet();
          return Future.failedFuture(new IllegalStateException("cannot digest " + event.id()));
        }
        return super.handle(event);
      }
    };
    OutboxRelay relay = relay(bed.vertx(), 3, consumer);
    Event poison = publishCommitted("acct-1", new JsonObject().put("poison", true));
    Event behind = publishCommitted("acct-1", new JsonObject().put("n", 2));
    Event other = publishCommitted("acct-2", new JsonObject().put("n", 1));

    Poll.until(PATIENCE, "poison parked, the aggregate's next event held, the other aggregate delivered",
        () -> relay.dead("poison", 10).await().size() == 2 && consumer.handled.size() == 1);
    assertThat(consumer.handled).extracting(Event::id).containsExactly(other.id());
    assertThat(poisonAttempts).hasValue(3);
    List<DeadEvent> dead = relay.dead("poison", 10).await();
    assertThat(dead.get(0).event()).isEqualTo(poison);
    assertThat(dead.get(0).attempts()).isEqualTo(3);
    assertThat(dead.get(0).error()).contains("cannot digest " + poison.id());
    assertThat(dead.get(1).event().id()).isEqualTo(behind.id());
    assertThat(dead.get(1).error()).contains("held behind parked event " + dead.get(0).id());
    // The pub/sub feed never parks.
    assertThat(relay.dead(OutboxRelay.PUBSUB, 10).await()).isEmpty();

    assertThatThrownBy(() -> relay.redeliver(dead.get(1).id()).await())
        .isInstanceOfSatisfying(DeadEventException.class,
            e -> assertThat(e.reason()).isEqualTo(DeadEventException.Reason.EARLIER_EVENT_PARKED));
    assertThatThrownBy(() -> relay.redeliver(dead.get(0).id()).await()).hasMessageContaining("cannot digest");
    assertThat(relay.dead("poison", 10).await().get(0).attempts()).isEqualTo(4);

    broken.set(false);
    relay.redeliver(dead.get(0).id()).await();
    relay.redeliver(dead.get(1).id()).await();
    assertThat(relay.dead("poison", 10).await()).isEmpty();
    assertThat(consumer.handled).extracting(Event::id).containsExactly(other.id(), poison.id(), behind.id());
    assertThatThrownBy(() -> relay.redeliver(dead.get(0).id()).await())
        .isInstanceOfSatisfying(DeadEventException.class,
            e -> assertThat(e.reason()).isEqualTo(DeadEventException.Reason.NOT_FOUND));

    // Once its parked events are redelivered, the aggregate flows again.
    Event next = publishCommitted("acct-1", new JsonObject().put("n", 3));
    Poll.until(PATIENCE, "next event of the aggregate delivered", () -> consumer.handled.size() == 4);
    assertThat(consumer.handled.get(3).id()).isEqualTo(next.id());
  }

  @Test
  void onlyOneRelayIsActiveAndAStandbyTakesOverWhenItStops() throws Exception {
    Recording consumer = new Recording("leader");
    OutboxRelay first = relay(bed.vertx(), 3, consumer);
    OutboxRelay second = relay(bed.vertx(), 3, consumer);
    Poll.until(PATIENCE, "one active", () -> first.active() || second.active());
    assertThat(first.active() && second.active()).isFalse();
    OutboxRelay leader = first.active() ? first : second;
    OutboxRelay standby = leader == first ? second : first;
    publishCommitted("x", new JsonObject().put("n", 1));
    Poll.until(PATIENCE, "delivered", () -> consumer.handled.size() == 1);

    leader.stop().await();
    Poll.until(PATIENCE, "standby took over", standby::active);
    publishCommitted("x", new JsonObject().put("n", 2));
    Poll.until(PATIENCE, "delivered by the new leader", () -> consumer.handled.size() == 2);
    assertThat(consumer.deliveries).hasSize(2);
  }

  @Test
  void lagCountsWhatIsCommittedButNotDelivered() throws Exception {
    Recording consumer = new Recording("lag");
    OutboxRelay relay = new OutboxRelay(bed.vertx(), pool, bed.connectOptions(),
        EventsTestBed.settings(3), List.of(consumer));
    relays.add(relay);
    // Cursors exist once a relay has been active; before that, this relay's consumers have no row yet.
    relay.start().await();
    Poll.until(PATIENCE, "active", relay::active);
    relay.stop().await();
    publishCommitted("l", new JsonObject().put("n", 1));
    publishCommitted("l", new JsonObject().put("n", 2));
    List<ConsumerLag> lag = relay.lag().await();
    assertThat(lag).extracting(ConsumerLag::events).containsOnly(2L);
    relay.start().await();
    Poll.until(PATIENCE, "caught up", () -> relay.lag().await().stream().allMatch(l -> l.events() == 0));
  }
  @Test
  void aRelayWhoseConnectionIsCutComesBackAndResumesFromItsCursor() throws Exception {
    Recording consumer = new Recording("reconnect");
    OutboxRelay relay = relay(bed.vertx(), 3, consumer);
    publishCommitted("r", new JsonObject().put("n", 1));
    Poll.until(PATIENCE, "first delivered", () -> consumer.handled.size() == 1);
    // Delivered before its cursor is written (at least once): a cut in between would deliver it again, rightly.
    Poll.until(PATIENCE, "its cursor recorded", () -> relay.lag().await().stream().allMatch(l -> l.events() == 0));

    // PostgreSQL ends the relay's session (as on a restart or a network cut): the lock goes with it.
    long cut = pool.preparedQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' "
            + "AND granted AND objsubid = 1 AND classid::bigint = ($1::bigint >> 32) "
            + "AND objid::bigint = ($1::bigint & 4294967295)")
        .execute(io.vertx.sqlclient.Tuple.of(OutboxRelay.LOCK_KEY)).await().iterator().next().getLong(0);
    assertThat(cut).isEqualTo(1);
    publishCommitted("r", new JsonObject().put("n", 2));
    publishCommitted("r", new JsonObject().put("n", 3));
    Poll.until(PATIENCE, "delivered after the relay came back", () -> consumer.handled.size() == 3);
    assertThat(relay.active()).isTrue();
    assertThat(consumer.handled).extracting(e -> e.payload().getInteger("n")).containsExactly(1, 2, 3);
    assertThat(consumer.deliveries).hasSize(3);
  }

  @Test
  void backoffDoublesUpToItsMaximum() {
    OutboxRelay relay = new OutboxRelay(bed.vertx(), pool, bed.connectOptions(),
        new dev.ledgerline.config.LedgerlineConfig.Events(1024, 10, Duration.ofHours(1), Duration.ofSeconds(1), 10,
            Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMillis(1000), 1), List.of());
    assertThat(List.of(1, 2, 3, 4, 5, 40)).extracting(relay::backoff)
        .containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L);
  }
  @Test
  void aLaterPublisherWithAnOlderTransactionIdStillComesAfterInItsAggregate() throws Exception {
    io.vertx.sqlclient.SqlConnection older = pool.getConnection().await();
    io.vertx.sqlclient.SqlConnection between = pool.getConnection().await();
    io.vertx.sqlclient.SqlConnection newer = pool.getConnection().await();
    try {
      // Transaction ids in the order older < between < newer; newer publishes first, older second.
      io.vertx.sqlclient.Transaction olderTx = older.begin().await();
      older.query("SELECT pg_current_xact_id()").execute().await();
      io.vertx.sqlclient.Transaction betweenTx = between.begin().await();
      between.query("SELECT pg_current_xact_id()").execute().await();
      io.vertx.sqlclient.Transaction newerTx = newer.begin().await();
      newer.query("SELECT pg_current_xact_id()").execute().await();
      Event first = publisher.publish(newer, NewEvent.of(TYPE, "k", "test", new JsonObject().put("n", 1))).await();
      newerTx.commit().await();
      Event second = publisher.publish(older, NewEvent.of(TYPE, "k", "test", new JsonObject().put("n", 2))).await();
      olderTx.commit().await();
      assertThat(List.of(first.sequence(), second.sequence())).containsExactly(1L, 2L);

      // Ordered by transaction id alone, the second event would come first, and while "between" runs it would be
      // readable and the first not. Its order key is carried forward instead.
      List<Long> readOrder = new ArrayList<>();
      pool.query("SELECT aggregate_seq FROM events_outbox WHERE aggregate_id = 'k' ORDER BY order_xid, position")
          .execute().await().forEach(r -> readOrder.add(r.getLong(0)));
      assertThat(readOrder).containsExactly(1L, 2L);
      betweenTx.rollback().await();

      Recording consumer = new Recording("older-xid");
      relay(bed.vertx(), 3, consumer);
      Poll.until(PATIENCE, "both delivered", () -> consumer.handled.size() == 2);
      assertThat(consumer.handled).extracting(Event::sequence).containsExactly(1L, 2L);
    } finally {
      older.close().await();
      between.close().await();
      newer.close().await();
    }
  }
  @Test
  void anEventHeldBackByAnOlderTransactionWithoutEventsIsReadSoonAfterItEndsNotAtThePoll() throws Exception {
    // The poll never comes within the test: only NOTIFY and the relay's own re-read can deliver.
    LedgerlineConfig.Events s = EventsTestBed.settings(3);
    LedgerlineConfig.Events noPoll = new LedgerlineConfig.Events(s.maxPayloadBytes(), s.maxAttempts(), s.retention(),
        Duration.ofHours(1), s.batchSize(), s.deliveryTimeout(), s.backoffInitial(), s.backoffMax(), s.ledger());
    Recording consumer = new Recording("held-back");
    OutboxRelay relay = new OutboxRelay(bed.vertx(), pool, bed.connectOptions(), noPoll, List.of(consumer));
    relays.add(relay);
    relay.start().await();
    io.vertx.sqlclient.SqlConnection older = pool.getConnection().await();
    try {
      // An older transaction with an id that publishes nothing: its end sends no NOTIFY.
      io.vertx.sqlclient.Transaction olderTx = older.begin().await();
      older.query("SELECT pg_current_xact_id()").execute().await();
      publishCommitted("held", new JsonObject().put("n", 1));
      // Not readable while the older transaction runs (a later row of it could still come first).
      Poll.until(PATIENCE, "the relay has read the outbox and found the event not readable yet",
          () -> relay.lag().await().stream().anyMatch(l -> l.events() == 1));
      assertThat(consumer.deliveries).isEmpty();
      olderTx.commit().await();
      Poll.until(Duration.ofSeconds(20), "delivered once the older transaction ended, without a poll",
          () -> consumer.handled.size() == 1);
    } finally {
      older.close().await();
    }
  }

  @Test
  void deliveredRowsGoAfterTheRetentionOnlyOnceEveryConsumerHasPassedThem() throws Exception {
    AtomicBoolean stuck = new AtomicBoolean(true);
    Recording fast = new Recording("fast");
    Recording slow = new Recording("slow") {
      @Override
      public Future<Void> handle(Event event) {
        return stuck.get() ? Future.failedFuture("not yet") : super.handle(event);
      }
    };
    OutboxRelay relay = new OutboxRelay(bed.vertx(), pool, bed.connectOptions(),
        new dev.ledgerline.config.LedgerlineConfig.Events(1024, 1000, Duration.ZERO, Duration.ofMillis(100), 100,
            Duration.ofSeconds(20), Duration.ofMillis(10), Duration.ofMillis(20), 1), List.of(fast, slow));
    relays.add(relay);
    relay.start().await();
    publishCommitted("p", new JsonObject().put("n", 1));
    publishCommitted("p", new JsonObject().put("n", 2));
    Poll.until(PATIENCE, "the fast consumer has both", () -> fast.handled.size() == 2);

    relay.purge().await();
    assertThat(outboxRows()).as("kept for the consumer that has not passed them").isEqualTo(2);
    stuck.set(false);
    Poll.until(PATIENCE, "the slow consumer has both", () -> slow.handled.size() == 2);
    Poll.until(PATIENCE, "its cursor recorded", () -> relay.lag().await().stream().allMatch(l -> l.events() == 0));
    relay.purge().await();
    assertThat(outboxRows()).isZero();
  }

  private long outboxRows() {
    return pool.query("SELECT count(*) FROM events_outbox").execute().await().iterator().next().getLong(0);
  }
}
