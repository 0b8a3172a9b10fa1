package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.providers.PaymentProvider;
import dev.ledgerline.providers.PaymentProvider.TransferEvent;
import dev.ledgerline.providers.PaymentProvider.TransferEvents;
import dev.ledgerline.testing.PostgresExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The provider event sync's cursor against a real PostgreSQL: kept after each page, read again after a restart. */
class ProviderSettlementsTest {
  @RegisterExtension
  static final PostgresExtension postgres = new PostgresExtension();

  /** A provider whose event feed holds {@code count} old events of transfers no payment made. */
  private static PaymentProvider feed(long count, List<Long> asked) {
    return (PaymentProvider) Proxy.newProxyInstance(PaymentProvider.class.getClassLoader(),
        new Class<?>[] {PaymentProvider.class}, (proxy, method, args) -> {
          if (!method.getName().equals("transferEvents")) throw new UnsupportedOperationException(method.getName());
          long after = (long) args[0];
          int size = (int) args[1];
          asked.add(after);
          List<TransferEvent> events = new java.util.ArrayList<>();
          for (long id = after + 1; id <= count && events.size() < size; id++) {
            events.add(new TransferEvent(id, Instant.parse("2020-01-01T00:00:00Z"), "settled", "unknown-" + id,
                "acct", "debit", BigDecimal.ONE));
          }
          return Future.succeededFuture(new TransferEvents(events,
              !events.isEmpty() && events.get(events.size() - 1).eventId() < count));
        });
  }

  /** A provider whose event feed holds exactly {@code events}, in one page. */
  private static PaymentProvider feed(List<TransferEvent> events) {
    return (PaymentProvider) Proxy.newProxyInstance(PaymentProvider.class.getClassLoader(),
        new Class<?>[] {PaymentProvider.class}, (proxy, method, args) -> {
          if (!method.getName().equals("transferEvents")) throw new UnsupportedOperationException(method.getName());
          long after = (long) args[0];
          return Future.succeededFuture(new TransferEvents(
              events.stream().filter(e -> e.eventId() > after).toList(), false));
        });
  }

  private static final NewPayment ORDER = new NewPayment("alice", "1001", "250", 7, 1, "plaid", "link-1", "rent",
      new io.vertx.core.json.JsonObject());

  private static PaymentStore store() {
    return new PaymentStore(postgres.pool(), new EventPublisher(EventTypes.KNOWN, 65_536));
  }

  /** Runs one sync over {@code events} and waits until its cursor passed the last of them. */
  private static void syncAll(ProviderSettlements sync, PaymentStore store, long last) {
    postgres.vertx().runOnContext(v -> sync.sync());
    Poll.until(Duration.ofSeconds(20), "the sync passes every event",
        () -> store.eventCursor(ProviderSettlements.CURSOR).await() == last);
  }

  /** The published provider.transfer.updated of these payments, in order: "payment event_type outcome". */
  private static List<String> published(String... paymentIds) {
    var rows = postgres.pool().preparedQuery("SELECT payload->>'payment_id', payload->>'event_type', "
        + "payload->>'outcome' FROM events_outbox WHERE event_type = $1 AND payload->>'payment_id' = ANY($2) "
        + "ORDER BY position")
        .execute(io.vertx.sqlclient.Tuple.of(PaymentStore.PROVIDER_TRANSFER_UPDATED, (Object) paymentIds)).await();
    List<String> out = new java.util.ArrayList<>();
    rows.forEach(r -> out.add(r.getString(0) + " " + r.getString(1) + " " + r.getString(2)));
    return out;
  }

  /**
   * Events that tell the saga nothing are published but not signalled: a pending transfer, and any event of a
   * transfer whose create already gave the saga its final status. (Without a Temporal client here, a signal would
   * fail the pass and leave the cursor where it was.)
   */
  @Test
  void eventsThatTellTheSagaNothingArePublishedButNotSignalled() {
    PaymentStore store = store();
    String known = store.create(ORDER).await().id();
    String waiting = store.create(ORDER).await().id();
    String ended = store.create(ORDER).await().id();
    store.recordProviderReference(known, "tr-known", true).await();
    store.recordProviderReference(waiting, "tr-waiting", false).await();
    store.recordProviderReference(ended, "tr-ended", false).await();
    postgres.pool().preparedQuery("UPDATE payments SET status = 'compensated' WHERE id = $1::uuid")
        .execute(io.vertx.sqlclient.Tuple.of(ended)).await();
    long from = store.eventCursor(ProviderSettlements.CURSOR).await();
    Instant now = Instant.now();
    List<TransferEvent> events = List.of(
        new TransferEvent(from + 1, now, "pending", "tr-known", "acct", "debit", BigDecimal.ONE),
        new TransferEvent(from + 2, now, "settled", "tr-known", "acct", "debit", BigDecimal.ONE),
        new TransferEvent(from + 3, now, "pending", "tr-waiting", "acct", "debit", BigDecimal.ONE),
        // A compensation's refund of the waiting payment's transfer: published as a refund, never a settlement.
        new TransferEvent(from + 4, now, "refund.settled", "tr-waiting", "acct", "debit", BigDecimal.ONE),
        // A refund's events come after its payment ended (compensated): still published, and a failure logged.
        new TransferEvent(from + 5, now, "refund.failed", "tr-ended", "acct", "debit", BigDecimal.ONE),
        // A transfer event of an ended payment tells nobody anything.
        new TransferEvent(from + 6, now, "settled", "tr-ended", "acct", "debit", BigDecimal.ONE));

    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    syncAll(new ProviderSettlements(feed(events), store, null, registry), store, from + 6);
    // The failed refund is counted for the operator's alert; the settled one is not.
    assertThat(registry.get(ProviderSettlements.REFUNDS_FAILED_METRIC).counter().count()).isEqualTo(1.0);

    assertThat(published(known, waiting, ended)).containsExactly(known + " pending pending", known + " settled succeeded",
        waiting + " pending pending", waiting + " refund.settled refund", ended + " refund.failed refund");
  }

  /**
   * A transfer returned after the provider had reported it a success (an ACH return) is counted for an operator,
   * whether the payment completed or still waits (committed); an ended one's is published too. The failure a
   * compensated payment was compensated for is neither.
   */
  @Test
  void aTransferReturnedAfterItsSuccessIsCountedAndAnEndedPaymentsPublished() {
    PaymentStore store = store();
    String completed = store.create(ORDER).await().id();
    String committed = store.create(ORDER).await().id();
    String compensated = store.create(ORDER).await().id();
    store.recordProviderReference(completed, "tr-completed", true).await();
    store.recordProviderReference(committed, "tr-committed", true).await();
    store.recordProviderReference(compensated, "tr-declined", true).await();
    postgres.pool().preparedQuery("UPDATE payments SET status = CASE WHEN id = $1::uuid THEN 'completed' "
            + "WHEN id = $2::uuid THEN 'committed' ELSE 'compensated' END, steps = CASE WHEN id = $3::uuid THEN steps "
            + "ELSE steps || '[{\"event\": \"ExternalPaymentSucceeded\"}]'::jsonb END "
            + "WHERE id IN ($1::uuid, $2::uuid, $3::uuid)")
        .execute(io.vertx.sqlclient.Tuple.of(completed, committed, compensated)).await();
    long from = store.eventCursor(ProviderSettlements.CURSOR).await();
    Instant now = Instant.now();
    List<TransferEvent> events = List.of(
        new TransferEvent(from + 1, now, "returned", "tr-completed", "acct", "debit", BigDecimal.ONE),
        new TransferEvent(from + 2, now, "returned", "tr-committed", "acct", "debit", BigDecimal.ONE),
        new TransferEvent(from + 3, now, "failed", "tr-declined", "acct", "debit", BigDecimal.ONE));

    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    syncAll(new ProviderSettlements(feed(events), store, null, registry), store, from + 3);

    assertThat(registry.get(ProviderSettlements.RETURNED_AFTER_SUCCESS_METRIC).counter().count()).isEqualTo(2.0);
    // The committed payment's event is published as its other events are (its saga had the outcome: no signal).
    assertThat(published(completed, committed, compensated)).containsExactly(completed + " returned failed",
        committed + " returned failed");
  }

  @Test
  void aRestartedSyncGoesOnFromTheStoredCursor() {
    PaymentStore store = store();
    // The cursor is shared with the other tests here, and never moves back: this test counts from where it is.
    long base = store.eventCursor(ProviderSettlements.CURSOR).await();
    List<Long> asked = new CopyOnWriteArrayList<>();
    ProviderSettlements first = new ProviderSettlements(feed(base + 250, asked), store, null);
    postgres.vertx().runOnContext(v -> first.sync());
    Poll.until(Duration.ofSeconds(20), "the first sync stores its cursor",
        () -> store.eventCursor(ProviderSettlements.CURSOR).await() == base + 250);
    assertThat(asked).startsWith(base, base + 100, base + 200);

    // A new instance, as after a restart: it asks only for what came after the stored cursor.
    asked.clear();
    ProviderSettlements restarted = new ProviderSettlements(feed(base + 260, asked), store, null);
    postgres.vertx().runOnContext(v -> restarted.sync());
    Poll.until(Duration.ofSeconds(20), "the restarted sync reads on",
        () -> store.eventCursor(ProviderSettlements.CURSOR).await() == base + 260);
    assertThat(asked).first().isEqualTo(base + 250);
    assertThat(asked).doesNotContain(base);

    // The cursor never moves back, whoever saves an older position.
    store.saveEventCursor(ProviderSettlements.CURSOR, base + 10).await();
    assertThat(store.eventCursor(ProviderSettlements.CURSOR).await()).isEqualTo(base + 260);
  }
}
