package dev.ledgerline.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The ledger event store against the real embedded ledger and PostgreSQL, and verify-events' cross-check. */
class LedgerEventStoreTest {
  @RegisterExtension
  static final NodeExtension LEDGER_NODE = EventsTestBed.ledgerNode();

  private static final EventTypes TYPES = EventTypes.of(Map.of("account.opened", 7, "account.renamed", 8));
  private static final int LEDGER = 2_000_000_000;
  private static final AtomicLong NEXT_AGGREGATE = new AtomicLong(System.nanoTime());

  private Pool pool;
  private LedgerClient ledger;
  private LedgerEventStore store;
  private EventStoreVerifier verifier;

  @BeforeEach
  void setUp() {
    EventsTestBed bed = EventsTestBed.of(LEDGER_NODE);
    pool = bed.pool();
    ledger = bed.ledger();
    store = new LedgerEventStore(ledger, pool, TYPES, LEDGER, 4096);
    verifier = new EventStoreVerifier(ledger, pool, TYPES, LEDGER);
  }

  private static UInt128 aggregate() {
    return UInt128.of(NEXT_AGGREGATE.incrementAndGet(), 0x5EED);
  }

  private static Throwable failure(Future<?> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().handle((v, e) -> e).get(30, TimeUnit.SECONDS);
  }

  @Test
  void anEventIsAZeroAmountTransferBetweenTwoAccountsWithTheLedgersTimestampAndARow() {
    UInt128 agg = aggregate();
    StoredEvent v1 = store.append(agg, 1, "account.opened", new JsonObject().put("at", "2020-01-01T00:00:00Z")).await();
    StoredEvent v2 = store.append(agg, 2, "account.renamed", new JsonObject().put("name", "b")).await();

    Transfer t = ledger.lookupTransfers(List.of(v1.transferId())).await().get(0);
    assertThat(t.id()).isEqualTo(LedgerEventIds.transfer(LEDGER, agg, 1));
    assertThat(t.amount()).isEqualTo(UInt128.ZERO);
    assertThat(t.debitAccountId()).isEqualTo(LedgerEventIds.logAccount(LEDGER, agg));
    assertThat(t.creditAccountId()).isEqualTo(LedgerEventIds.sinkAccount(LEDGER)).isNotEqualTo(t.debitAccountId());
    assertThat(t.userData128()).isEqualTo(agg);
    assertThat(t.userData64()).isEqualTo(7);
    assertThat(t.userData32()).isEqualTo(1);
    assertThat(t.code()).isEqualTo(7);
    assertThat(t.ledger()).isEqualTo(LEDGER);
    // The ledger's own clock, not the caller's time in the payload.
    assertThat(v1.ledgerTimestamp()).isEqualTo(t.timestamp()).isGreaterThan(1_700_000_000_000_000_000L);
    assertThat(v2.ledgerTimestamp()).isGreaterThan(v1.ledgerTimestamp());

    List<Account> accounts = ledger.lookupAccounts(List.of(t.debitAccountId(), t.creditAccountId())).await();
    assertThat(accounts).extracting(Account::code).containsOnly(LedgerEventStore.ACCOUNT_CODE);
    assertThat(accounts).extracting(Account::ledger).containsOnly(LEDGER);

    assertThat(store.getEvents(agg).await()).containsExactly(v1, v2);
    assertThat(pool.query("SELECT count(*) FROM ledger_event_payloads").execute().await().iterator().next()
        .getLong(0)).as("payloads are kept only until the row is written").isZero();
  }

  @Test
  void aSecondWriterOfAVersionGetsATypedConflictAndAnIdenticalRetrySucceeds() throws Exception {
    UInt128 agg = aggregate();
    StoredEvent first = store.append(agg, 1, "account.opened", new JsonObject().put("name", "a")).await();

    // After the first event is complete, the ledger's "exists" on the derived id is the conflict.
    Throwable conflict = failure(store.append(agg, 1, "account.opened", new JsonObject().put("name", "z")));
    assertThat(conflict).isInstanceOfSatisfying(EventVersionConflictException.class, e -> {
      assertThat(e.aggregateId()).isEqualTo(agg);
      assertThat(e.version()).isEqualTo(1);
    });
    assertThat(failure(store.append(agg, 1, "account.renamed", new JsonObject().put("name", "a"))))
        .isInstanceOf(EventVersionConflictException.class);
    assertThat(store.append(agg, 1, "account.opened", new JsonObject().put("name", "a")).await()).isEqualTo(first);

    // Racing writers of one version: exactly one wins, the others get the conflict, the winner's event is stored.
    List<Future<StoredEvent>> racers = List.of(
        store.append(agg, 2, "account.renamed", new JsonObject().put("name", "p")),
        store.append(agg, 2, "account.renamed", new JsonObject().put("name", "q")),
        new LedgerEventStore(ledger, pool, TYPES, LEDGER, 4096)
            .append(agg, 2, "account.renamed", new JsonObject().put("name", "r")));
    int won = 0;
    for (Future<StoredEvent> r : racers) {
      Throwable t = failure(r);
      if (t == null) {
        won++;
      } else {
        assertThat(t).isInstanceOf(EventVersionConflictException.class);
      }
    }
    assertThat(won).isEqualTo(1);
    List<StoredEvent> events = store.getEvents(agg).await();
    assertThat(events).extracting(StoredEvent::version).containsExactly(1L, 2L);
    assertThat(pool.query("SELECT count(*) FROM ledger_event_payloads").execute().await().iterator().next()
        .getLong(0)).isZero();
  }

  @Test
  void severalEventsGoTogetherAndARefusedVersionStopsTheRestWithoutLeavingClaims() throws Exception {
    UInt128 agg = aggregate();
    List<StoredEvent> first = store.appendAll(agg, List.of(
        new LedgerEventStore.Next(1, "account.opened", new JsonObject().put("name", "a")),
        new LedgerEventStore.Next(2, "account.renamed", new JsonObject().put("name", "b")))).await();
    assertThat(first).extracting(StoredEvent::version).containsExactly(1L, 2L);
    // One linked chain: the ledger gave the versions ascending timestamps, and each event is its own transfer.
    assertThat(first.get(1).ledgerTimestamp()).isGreaterThan(first.get(0).ledgerTimestamp());
    assertThat(ledger.lookupTransfers(List.of(first.get(0).transferId(), first.get(1).transferId())).await())
        .extracting(Transfer::userData32).containsExactly(1, 2);
    assertThat(store.getEvents(agg).await()).isEqualTo(first);

    // An event written inside a chain is linked there: appended again on its own (a concurrent writer of the same
    // event, or a retry one by one), it is found, not a conflict; another event at its version still is.
    assertThat(store.append(agg, 1, "account.opened", new JsonObject().put("name", "a")).await())
        .isEqualTo(first.get(0));
    assertThat(failure(store.append(agg, 1, "account.renamed", new JsonObject().put("name", "a"))))
        .isInstanceOf(EventVersionConflictException.class);

    // A retry that finds part of the events written: the written ones are found, the rest appended.
    List<StoredEvent> retried = store.appendAll(agg, List.of(
        new LedgerEventStore.Next(2, "account.renamed", new JsonObject().put("name", "b")),
        new LedgerEventStore.Next(3, "account.renamed", new JsonObject().put("name", "c")))).await();
    assertThat(retried.get(0)).isEqualTo(first.get(1));
    assertThat(store.getEvents(agg).await()).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L);

    // Version 4 is someone else's: the conflict names it, and neither it nor version 5 is written or claimed.
    store.append(agg, 4, "account.renamed", new JsonObject().put("name", "other")).await();
    Throwable conflict = failure(store.appendAll(agg, List.of(
        new LedgerEventStore.Next(4, "account.renamed", new JsonObject().put("name", "d")),
        new LedgerEventStore.Next(5, "account.renamed", new JsonObject().put("name", "e")))));
    assertThat(conflict).isInstanceOfSatisfying(EventVersionConflictException.class,
        e -> assertThat(e.version()).isEqualTo(4));
    assertThat(store.getEvents(agg).await()).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L, 4L);
    assertThat(ledger.lookupTransfers(List.of(LedgerEventIds.transfer(LEDGER, agg, 5))).await()).isEmpty();
    assertThat(pool.query("SELECT count(*) FROM ledger_event_payloads").execute().await().iterator().next()
        .getLong(0)).isZero();

    // Versions out of order, or a bad event anywhere in the list: refused before anything is written.
    assertThat(failure(store.appendAll(agg, List.of(
        new LedgerEventStore.Next(7, "account.renamed", new JsonObject()),
        new LedgerEventStore.Next(6, "account.renamed", new JsonObject())))))
        .isInstanceOf(EventRejectedException.class);
    assertThat(failure(store.appendAll(agg, List.of(
        new LedgerEventStore.Next(6, "account.renamed", new JsonObject()),
        new LedgerEventStore.Next(7, "account.closed", new JsonObject())))))
        .isInstanceOf(EventRejectedException.class);
    assertThat(ledger.lookupTransfers(List.of(LedgerEventIds.transfer(LEDGER, agg, 6))).await()).isEmpty();
  }

  /**
   * Events whose aggregate rebuilds them from a record of its own keep no payload aside: a claim would be refused
   * here, and none is tried. A row lost after its transfer cannot be rebuilt without that record, is rebuilt with it,
   * and a retry of the write finds the transfer and writes the row.
   */
  @Test
  void rebuildableEventsKeepNoPayloadAsideAndALostRowIsRebuiltFromTheAggregatesRecord() throws Exception {
    UInt128 agg = aggregate();
    Map<Long, LedgerEventStore.Next> record = Map.of(
        1L, new LedgerEventStore.Next(1, "account.opened", new JsonObject().put("name", "a")),
        2L, new LedgerEventStore.Next(2, "account.renamed", new JsonObject().put("name", "b")),
        3L, new LedgerEventStore.Next(3, "account.renamed", new JsonObject().put("name", "c")),
        4L, new LedgerEventStore.Next(4, "account.renamed", new JsonObject().put("name", "d")));
    refuse("ledger_event_payloads", agg, "claim tried");
    List<StoredEvent> written;
    try {
      written = new ArrayList<>(store.appendRebuildable(agg, List.of(record.get(1L))).await());
      written.addAll(store.appendRebuildable(agg, List.of(record.get(2L), record.get(3L))).await());
    } finally {
      allow("ledger_event_payloads");
    }
    // Appended again (a concurrent writer of the same row, a retry): found as it is, by way of a claim.
    assertThat(store.appendRebuildable(agg, List.of(record.get(3L))).await()).containsExactly(written.get(2));
    assertThat(written).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L);
    assertThat(store.getEvents(agg).await()).isEqualTo(written);
    assertThat(written.get(2).ledgerTimestamp()).isGreaterThan(written.get(1).ledgerTimestamp());

    // Another event at a version held: a typed conflict, and nothing else written.
    assertThat(failure(store.appendRebuildable(agg, List.of(
        new LedgerEventStore.Next(3, "account.opened", new JsonObject().put("name", "c")), record.get(4L)))))
        .isInstanceOfSatisfying(EventVersionConflictException.class, e -> assertThat(e.version()).isEqualTo(3));
    assertThat(ledger.lookupTransfers(List.of(LedgerEventIds.transfer(LEDGER, agg, 4))).await()).isEmpty();

    // The writer gets as far as the ledger, then its row is lost.
    refuse("ledger_events", agg, "row lost");
    try {
      assertThat(failure(store.appendRebuildable(agg, List.of(record.get(4L))))).hasMessageContaining("row lost");
    } finally {
      allow("ledger_events");
    }
    assertThat(pool.query("SELECT count(*) FROM ledger_event_payloads WHERE aggregate_id = " + agg).execute().await()
        .iterator().next().getLong(0)).isZero();
    String lost = "transfer " + LedgerEventIds.transfer(LEDGER, agg, 4);
    EventStoreVerifier fromRecord = new EventStoreVerifier(ledger, pool, TYPES, LEDGER, (a, version, type) ->
        Future.succeededFuture(a.equals(agg) && record.get(version).type().equals(type)
            ? Optional.of(record.get(version).payload()) : Optional.empty()));
    try {
      assertThat(verifier.verify(true).await().violations()).anySatisfy(v -> assertThat(v).contains(lost)
          .contains("no payload kept to rebuild it from"));
    } finally {
      // Rebuilt whatever happens above: the other tests expect a store without holes.
      assertThat(fromRecord.verify(true).await().violations()).noneSatisfy(v -> assertThat(v).contains(lost));
    }
    assertThat(store.getEvents(agg).await()).extracting(StoredEvent::version, StoredEvent::payload)
        .containsExactly(tuple(1L, record.get(1L).payload()), tuple(2L, record.get(2L).payload()),
            tuple(3L, record.get(3L).payload()), tuple(4L, record.get(4L).payload()));

    // Lost again and written again by the writer's retry, which finds its transfer in the ledger.
    pool.query("DELETE FROM ledger_events WHERE aggregate_id = " + agg + " AND version = 4").execute().await();
    StoredEvent v4 = store.appendRebuildable(agg, List.of(record.get(4L))).await().get(0);
    assertThat(v4.payload()).isEqualTo(record.get(4L).payload());
    assertThat(store.getEvents(agg).await()).extracting(StoredEvent::version).containsExactly(1L, 2L, 3L, 4L);
  }

  /**
   * Without claims of its own, a refused rebuildable chain leaves another writer's claim alone; and a repair that
   * finds a row missing which its writer then writes leaves that row as it is.
   */
  @Test
  void aRefusedRebuildableChainKeepsOthersClaimsAndRepairYieldsToTheRowsOwnWriter() throws Exception {
    UInt128 agg = aggregate();
    store.appendRebuildable(agg, List.of(new LedgerEventStore.Next(1, "account.opened", new JsonObject()))).await();
    UInt128 v3 = LedgerEventIds.transfer(LEDGER, agg, 3);
    pool.preparedQuery("INSERT INTO ledger_event_payloads (transfer_id, aggregate_id, version, event_type, payload) "
            + "VALUES ($1::text::numeric, $2::text::numeric, 3, 'account.renamed', '{\"by\":\"another\"}')")
        .execute(io.vertx.sqlclient.Tuple.of(v3.toString(), agg.toString())).await();
    try {
      assertThat(failure(store.appendRebuildable(agg, List.of(
          new LedgerEventStore.Next(1, "account.renamed", new JsonObject()),
          new LedgerEventStore.Next(3, "account.renamed", new JsonObject())))))
          .isInstanceOf(EventVersionConflictException.class);
      assertThat(pool.query("SELECT count(*) FROM ledger_event_payloads WHERE transfer_id = " + v3).execute().await()
          .iterator().next().getLong(0)).isEqualTo(1);
    } finally {
      pool.query("DELETE FROM ledger_event_payloads WHERE transfer_id = " + v3).execute().await();
    }

    // Version 2's row is lost after its transfer; while the repair looks for its payload, its writer writes it.
    LedgerEventStore.Next v2 = new LedgerEventStore.Next(2, "account.renamed", new JsonObject().put("name", "b"));
    StoredEvent written = store.appendRebuildable(agg, List.of(v2)).await().get(0);
    pool.query("DELETE FROM ledger_events WHERE aggregate_id = " + agg + " AND version = 2").execute().await();
    EventStoreVerifier racing = new EventStoreVerifier(ledger, pool, TYPES, LEDGER, (a, version, type) ->
        !a.equals(agg) ? Future.succeededFuture(Optional.empty())
            : store.appendRebuildable(agg, List.of(v2)).map(x -> Optional.of(new JsonObject().put("name", "x"))));
    EventStoreVerifier.Report report = racing.verify(true).await();
    assertThat(report.violations()).noneSatisfy(v -> assertThat(v).contains(written.transferId().toString()));
    assertThat(store.getEvents(agg).await()).extracting(StoredEvent::version).containsExactly(1L, 2L);
    assertThat(store.getEvents(agg).await().get(1)).isEqualTo(written);
  }

  /**
   * A row already at a version whose transfer the chain has just created (a row written by hand, or left from a store
   * that was reset): the one-statement write finds it, compares it, and tells the same event from another.
   */
  @Test
  void aRebuildableChainComparesRowsItFindsAlreadyThere() throws Exception {
    UInt128 agg = aggregate();
    LedgerEventStore.Next v1 = new LedgerEventStore.Next(1, "account.opened", new JsonObject().put("name", "a"));
    LedgerEventStore.Next v2 = new LedgerEventStore.Next(2, "account.renamed", new JsonObject().put("name", "b"));
    String row = "INSERT INTO ledger_events (aggregate_id, version, event_type, payload, ledger_timestamp, transfer_id) "
        + "VALUES ($1::text::numeric, $2, $3, $4::jsonb, 1, $5::text::numeric)";
    pool.preparedQuery(row).execute(io.vertx.sqlclient.Tuple.of(agg.toString(), 1L, v1.type(), v1.payload(),
        LedgerEventIds.transfer(LEDGER, agg, 1).toString())).await();
    pool.preparedQuery(row).execute(io.vertx.sqlclient.Tuple.of(agg.toString(), 2L, v2.type(),
        new JsonObject().put("name", "other"), LedgerEventIds.transfer(LEDGER, agg, 2).toString())).await();
    try {
      assertThat(failure(store.appendRebuildable(agg, List.of(v1, v2))))
          .isInstanceOfSatisfying(EventVersionConflictException.class, e -> assertThat(e.version()).isEqualTo(2));
    } finally {
      // The hand-written rows go, the transfers stay: rebuilt from the record, the store has no holes.
      pool.query("DELETE FROM ledger_events WHERE aggregate_id = " + agg).execute().await();
      Map<Long, LedgerEventStore.Next> record = Map.of(1L, v1, 2L, v2);
      new EventStoreVerifier(ledger, pool, TYPES, LEDGER, (a, version, type) -> Future.succeededFuture(
          a.equals(agg) ? Optional.of(record.get(version).payload()) : Optional.empty())).verify(true).await();
    }
    assertThat(store.getEvents(agg).await()).extracting(StoredEvent::payload)
        .containsExactly(v1.payload(), v2.payload());
  }

  /** Makes PostgreSQL refuse every row of {@code agg} in {@code table} with {@code message}. */
  private void refuse(String table, UInt128 agg, String message) {
    pool.query("CREATE FUNCTION refuse_" + table + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "IF NEW.aggregate_id = " + agg + " THEN RAISE EXCEPTION '" + message + "'; END IF; RETURN NEW; END $$")
        .execute().await();
    pool.query("CREATE TRIGGER refuse_" + table + " BEFORE INSERT ON " + table + " FOR EACH ROW EXECUTE FUNCTION "
        + "refuse_" + table + "()").execute().await();
  }

  private void allow(String table) {
    pool.query("DROP TRIGGER refuse_" + table + " ON " + table).execute().await();
    pool.query("DROP FUNCTION refuse_" + table + "()").execute().await();
  }

  @Test
  void badEventsAreRefusedBeforeAnythingIsWritten() throws Exception {
    UInt128 agg = aggregate();
    assertThat(failure(store.append(agg, 1, "account.closed", new JsonObject())))
        .isInstanceOfSatisfying(EventRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.UNKNOWN_TYPE));
    assertThat(failure(store.append(agg, 1, "account.opened", new JsonObject().put("x", "y".repeat(5000)))))
        .isInstanceOfSatisfying(EventRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.PAYLOAD_TOO_LARGE));
    assertThat(failure(store.append(agg, 0, "account.opened", new JsonObject())))
        .isInstanceOf(EventRejectedException.class);
    assertThat(failure(store.append(agg, LedgerEventStore.MAX_VERSION + 1, "account.opened", new JsonObject())))
        .isInstanceOf(EventRejectedException.class);
    assertThat(ledger.lookupTransfers(List.of(LedgerEventIds.transfer(LEDGER, agg, 1))).await()).isEmpty();
    assertThat(ledger.lookupAccounts(List.of(LedgerEventIds.logAccount(LEDGER, agg))).await()).isEmpty();
  }

  @Test
  void aRowLostAfterItsTransferCommittedIsFoundAndRebuiltByVerifyEvents() throws Exception {
    assertThat(verifier.verify(false).await().violations()).isEmpty();
    UInt128 agg = aggregate();
    StoredEvent v1 = store.append(agg, 1, "account.opened", new JsonObject().put("name", "a")).await();
    // The writer gets as far as the ledger, then its row is lost: PostgreSQL refuses the row for this aggregate.
    pool.query("CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "IF NEW.aggregate_id = " + agg + " THEN RAISE EXCEPTION 'row lost'; END IF; RETURN NEW; END $$").execute()
        .await();
    pool.query("CREATE TRIGGER refuse_row BEFORE INSERT ON ledger_events FOR EACH ROW EXECUTE FUNCTION refuse_row()")
        .execute().await();
    try {
      assertThat(failure(store.append(agg, 2, "account.renamed", new JsonObject().put("name", "b"))))
          .hasMessageContaining("row lost");
    } finally {
      pool.query("DROP TRIGGER refuse_row ON ledger_events").execute().await();
      pool.query("DROP FUNCTION refuse_row()").execute().await();
    }
    assertThat(store.getEvents(agg).await()).containsExactly(v1);

    EventStoreVerifier.Report found = verifier.verify(false).await();
    assertThat(found.violations()).singleElement().asString()
        .contains("transfer " + LedgerEventIds.transfer(LEDGER, agg, 2)).contains("no ledger_events row");
    EventStoreVerifier.Report repaired = verifier.verify(true).await();
    assertThat(repaired.repaired()).isEqualTo(1);
    assertThat(repaired.clean()).isTrue();

    List<StoredEvent> events = store.getEvents(agg).await();
    assertThat(events).extracting(StoredEvent::version).containsExactly(1L, 2L);
    Transfer t2 = ledger.lookupTransfers(List.of(LedgerEventIds.transfer(LEDGER, agg, 2))).await().get(0);
    assertThat(events.get(1)).isEqualTo(new StoredEvent(agg, 2, "account.renamed", new JsonObject().put("name", "b"),
        t2.timestamp(), t2.id()));
    assertThat(verifier.verify(false).await().clean()).isTrue();
  }

  @Test
  void aDeletedRowAndATamperedRowAreFound() throws Exception {
    UInt128 agg = aggregate();
    store.append(agg, 1, "account.opened", new JsonObject().put("name", "a")).await();
    store.append(agg, 2, "account.renamed", new JsonObject().put("name", "b")).await();
    pool.query("UPDATE ledger_events SET ledger_timestamp = ledger_timestamp + 1 WHERE aggregate_id = " + agg
        + " AND version = 1").execute().await();
    pool.query("DELETE FROM ledger_events WHERE aggregate_id = " + agg + " AND version = 2").execute().await();
    try {
      EventStoreVerifier.Report report = verifier.verify(true).await();
      assertThat(report.violations()).hasSize(2);
      assertThat(report.violations()).anySatisfy(v -> assertThat(v).contains("row " + agg + " v1").contains("differs"));
      // A row deleted after it was written has no payload left anywhere: found, and said to be beyond repair.
      assertThat(report.violations()).anySatisfy(v -> assertThat(v)
          .contains("transfer " + LedgerEventIds.transfer(LEDGER, agg, 2)).contains("no payload kept"));
    } finally {
      // Leave a consistent store for the other tests' verifier runs: rebuild the row from the ledger by hand.
      Transfer t = ledger.lookupTransfers(List.of(LedgerEventIds.transfer(LEDGER, agg, 2))).await().get(0);
      pool.query("UPDATE ledger_events SET ledger_timestamp = ledger_timestamp - 1 WHERE aggregate_id = " + agg
          + " AND version = 1").execute().await();
      pool.query("INSERT INTO ledger_events VALUES (" + agg + ", 2, 'account.renamed', '{\"name\":\"b\"}', "
          + t.timestamp() + ", " + t.id() + ")").execute().await();
    }
    assertThat(verifier.verify(false).await().clean()).isTrue();
  }
}
