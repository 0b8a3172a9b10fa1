package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventStoreVerifier;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.events.EventVersionConflictException;
import dev.ledgerline.events.LedgerEventIds;
import dev.ledgerline.events.LedgerEventStore;
import dev.ledgerline.events.StoredEvent;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.transactions.NewPayment;
import dev.ledgerline.transactions.Payment;
import dev.ledgerline.transactions.PaymentEvents;
import dev.ledgerline.transactions.PaymentStore;
import dev.ledgerline.transactions.PaymentWorkflow;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Payments in the ledger event store, with the real ledger and PostgreSQL: each state change is one event at the
 * payment's next version with its ledger transfer, retries append once, and verify-events rebuilds a lost row.
 */
class PaymentEventSourcingTest {
  @RegisterExtension
  static final NodeExtension LEDGER_NODE = NodeExtension.node().roles("ledger").build();

  private static final String QUEUE = "transaction-processing";
  private static final int LEDGER = 8;
  private static final int EVENTS_LEDGER = 2_000_000_000;

  private TestWorkflowEnvironment env;
  private LedgerClient ledger;
  private Pool pool;
  private LedgerEventStore eventStore;
  private PaymentStore store;
  private PaymentRecordActivitiesImpl records;
  private UInt128 payer;

  @BeforeEach
  void setUp() {
    ledger = new LedgerClient(LEDGER_NODE.get().vertx(), Duration.ofSeconds(30));
    pool = LEDGER_NODE.get().services().pool();
    eventStore = new LedgerEventStore(ledger, pool, EventTypes.KNOWN, EVENTS_LEDGER, 65_536);
    store = new PaymentStore(pool, new EventPublisher(EventTypes.KNOWN, 65_536), eventStore);
    records = new PaymentRecordActivitiesImpl(store, ledger, SagaSettings.DEFAULTS);
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(PaymentWorkflowImpl.class);
    worker.registerActivitiesImplementations(new LedgerSagaActivitiesImpl(ledger), records,
        new PaymentSagaLedgerTest.Provider());
    env.start();

    UInt128 source = randomId();
    payer = randomId();
    assertThat(ledger.createAccounts(List.of(Account.of(source, LEDGER, 1, AccountFlags.NONE),
        Account.of(payer, LEDGER, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS))).await()).isEmpty();
    assertThat(ledger.createTransfers(List.of(Transfer.of(randomId(), source, payer, UInt128.of(1_000), LEDGER, 1,
        TransferFlags.NONE))).await()).isEmpty();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private static UInt128 randomId() {
    return UInt128.of(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE), 0x5A6C);
  }

  private Payment create(PaymentStore s) {
    return s.create(new NewPayment("alice", payer.toString(), "250", LEDGER, 1, "plaid", "link-1", "rent", null))
        .await();
  }

  private Payment pay() {
    Payment p = create(store);
    env.getWorkflowClient().newWorkflowStub(PaymentWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(QUEUE)
        .setWorkflowId("transaction-" + p.id()).build()).process(p.id());
    return store.get(p.id()).await().orElseThrow();
  }

  private PaymentUpdate update(Payment p, String event, PaymentStatus status) {
    return new PaymentUpdate(p.id(), UUID.randomUUID().toString(), event, status, "reserve-funds",
        1_700_000_000_000L, Map.of("reserve-funds", "42"));
  }

  private List<String> types(String paymentId) {
    return store.events(paymentId).await().stream().map(StoredEvent::type).toList();
  }

  @Test
  void aCompletedPaymentIsItsEventStreamWithOneTransferPerEvent() {
    Payment p = pay();
    assertThat(p.status()).isEqualTo(PaymentStatus.COMPLETED);

    List<StoredEvent> events = store.events(p.id()).await();
    assertThat(events).extracting(StoredEvent::type).containsExactly("payment.requested", "payment.funds_reserved",
        "payment.pending_created", "payment.external_requested", "payment.external_succeeded", "payment.committed",
        "payment.completed");
    assertThat(events).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    UInt128 aggregate = PaymentEvents.aggregate(p.id());
    assertThat(PaymentEvents.paymentId(aggregate)).isEqualTo(p.id());
    List<Transfer> transfers = ledger.lookupTransfers(events.stream().map(StoredEvent::transferId).toList()).await();
    assertThat(transfers).hasSize(events.size());
    for (int i = 0; i < events.size(); i++) {
      StoredEvent e = events.get(i);
      Transfer t = transfers.get(i);
      assertThat(e.aggregateId()).isEqualTo(aggregate);
      assertThat(t.id()).isEqualTo(LedgerEventIds.transfer(EVENTS_LEDGER, aggregate, e.version()));
      assertThat(t.userData128()).isEqualTo(aggregate);
      assertThat(Integer.toUnsignedLong(t.userData32())).isEqualTo(e.version());
      assertThat(t.code()).isEqualTo(EventTypes.KNOWN.code(e.type()));
      assertThat(t.timestamp()).isEqualTo(e.ledgerTimestamp());
      assertThat(e.payload().getString("payment_id")).isEqualTo(p.id());
    }
    assertThat(events.get(0).payload().getString("amount")).isEqualTo("250");
    assertThat(events.get(0).payload().getString("event_id")).isEqualTo(p.id());
    // Each later event carries the saga's update id: the row's step it was derived from.
    assertThat(events.get(1).payload().getString("event_id"))
        .isEqualTo(p.steps().getJsonObject(0).getString("event_id"));
  }

  @Test
  void aReplayedRecordActivityAppendsOnce() {
    Payment p = create(store);
    assertThat(types(p.id())).containsExactly("payment.requested");
    PaymentUpdate reserved = update(p, "FundsReserved", PaymentStatus.RESERVED);

    records.record(reserved);
    records.record(reserved);

    List<StoredEvent> events = store.events(p.id()).await();
    assertThat(events).extracting(StoredEvent::version).containsExactly(1L, 2L);
    assertThat(events.get(1).type()).isEqualTo("payment.funds_reserved");
    assertThat(events.get(1).payload().getString("event_id")).isEqualTo(reserved.eventId());
    assertThat(store.get(p.id()).await().orElseThrow().steps()).hasSize(1);
  }

  @Test
  void aCrashBetweenTheRowAndTheAppendIsRepairedByTheRetryWithTheRequestFirst() {
    // The POST's node and the first attempt of a record activity die after PostgreSQL: rows without their events.
    PaymentStore rowsOnly = new PaymentStore(pool, new EventPublisher(EventTypes.KNOWN, 65_536));
    Payment p = create(rowsOnly);
    PaymentUpdate reserved = update(p, "FundsReserved", PaymentStatus.RESERVED);
    rowsOnly.record(reserved).await();
    assertThat(types(p.id())).isEmpty();

    records.load(p.id());
    records.record(reserved);
    assertThat(types(p.id())).containsExactly("payment.requested", "payment.funds_reserved");
    PaymentUpdate pending = update(p, "PendingTransferCreated", PaymentStatus.RESERVED);
    records.record(pending);
    records.record(pending);
    assertThat(types(p.id())).containsExactly("payment.requested", "payment.funds_reserved",
        "payment.pending_created");
  }

  @Test
  void concurrentWritersOfOnePaymentNeverSeeEachOthersEventsAsConflicts() {
    // The POST, a cancel and the saga's activities sync the same payment at once: each reads the store, then the row.
    PaymentStore rowsOnly = new PaymentStore(pool, new EventPublisher(EventTypes.KNOWN, 65_536));
    Payment p = create(rowsOnly);
    for (String event : List.of("FundsReserved", "PendingTransferCreated", "ExternalPaymentRequested")) {
      rowsOnly.record(update(p, event, PaymentStatus.RESERVED)).await();
    }
    List<Future<Void>> syncs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      syncs.add(store.syncEvents(p.id()));
    }
    Future.all(syncs).await();

    assertThat(store.events(p.id()).await()).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void theOwnersCancelIsAnEventOnceAndTheSagasNextChangeFollowsIt() {
    Payment p = create(store);
    assertThat(store.requestCancel(p.id(), "alice").await()).isPresent();
    assertThat(store.requestCancel(p.id(), "alice").await()).isPresent();
    records.record(update(p, "CompensationStarted", PaymentStatus.COMPENSATING));

    List<StoredEvent> events = store.events(p.id()).await();
    assertThat(events).extracting(StoredEvent::type).containsExactly("payment.requested",
        "payment.cancel_requested", "payment.compensating");
    assertThat(events).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L);
    assertThat(events.get(1).payload().getString("status")).isEqualTo("pending");
  }

  @Test
  void anotherEventAtThePaymentsVersionIsAConflict() {
    Payment p = create(store);
    // Someone else wrote version 2 of this aggregate.
    eventStore.append(PaymentEvents.aggregate(p.id()), 2, "payment.failed", new JsonObject().put("event_id",
        UUID.randomUUID().toString())).await();

    assertThatThrownBy(() -> records.record(update(p, "FundsReserved", PaymentStatus.RESERVED)))
        .isInstanceOf(EventVersionConflictException.class);
  }

  @Test
  void verifyEventsFindsPaymentsConsistentAndRebuildsALostRowFromThePayment() {
    Payment p = pay();
    EventStoreVerifier verifier = new EventStoreVerifier(ledger, pool, EventTypes.KNOWN, EVENTS_LEDGER,
        new PaymentStore(pool, null)::eventPayload);
    assertThat(verifier.verify(false).await().violations()).isEmpty();

    StoredEvent lost = store.events(p.id()).await().get(2);
    pool.preparedQuery("DELETE FROM ledger_events WHERE transfer_id = $1::text::numeric")
        .execute(Tuple.of(lost.transferId().toString())).await();
    EventStoreVerifier.Report found = verifier.verify(false).await();
    assertThat(found.violations()).singleElement().asString().contains(lost.transferId().toString())
        .contains("no ledger_events row");

    EventStoreVerifier.Report repaired = verifier.verify(true).await();
    assertThat(repaired.violations()).isEmpty();
    assertThat(repaired.repaired()).isEqualTo(1);
    assertThat(store.events(p.id()).await()).hasSize(7);
    assertThat(store.events(p.id()).await().get(2)).isEqualTo(lost);
    assertThat(verifier.verify(false).await().violations()).isEmpty();
  }
}
