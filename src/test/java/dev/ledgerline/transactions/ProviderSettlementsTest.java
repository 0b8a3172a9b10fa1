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

  /** A payment whose provider transfer is {@code reference}; {@code outcomeKnown}: its saga had the final status. */
  private static String paymentWithTransfer(PaymentStore store, String reference, boolean outcomeKnown) {
    String id = store.create(ORDER).await().id();
    store.recordProviderReference(id, reference, outcomeKnown).await();
    return id;
  }

  /** The provider's event {@code id} of type {@code type} about transfer {@code reference}. */
  private static TransferEvent event(long id, String type, String reference) {
    return new TransferEvent(id, Instant.parse("2026-01-01T00:00:00Z"), type, reference, "acct", "debit",
        BigDecimal.ONE);
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
    String known = paymentWithTransfer(store, "tr-known", true);
    String waiting = paymentWithTransfer(store, "tr-waiting", false);
    String ended = paymentWithTransfer(store, "tr-ended", false);
    postgres.pool().preparedQuery("UPDATE payments SET status = 'compensated' WHERE id = $1::uuid")
        .execute(io.vertx.sqlclient.Tuple.of(ended)).await();
    long from = store.eventCursor(ProviderSettlements.CURSOR).await();
    List<TransferEvent> events = List.of(
        event(from + 1, "pending", "tr-known"),
        event(from + 2, "settled", "tr-known"),
        event(from + 3, "pending", "tr-waiting"),
        // A compensation's refund of the waiting payment's transfer: published as a refund, never a settlement.
        event(from + 4, "refund.settled", "tr-waiting"),
        // A refund's events come after its payment ended (compensated): still published, and a failure logged.
        event(from + 5, "refund.failed", "tr-ended"),
        // A transfer event of an ended payment tells nobody anything.
        event(from + 6, "settled", "tr-ended"));

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
    String completed = paymentWithTransfer(store, "tr-completed", true);
    String committed = paymentWithTransfer(store, "tr-committed", true);
    String compensated = paymentWithTransfer(store, "tr-declined", true);
    postgres.pool().preparedQuery("UPDATE payments SET status = CASE WHEN id = $1::uuid THEN 'completed' "
            + "WHEN id = $2::uuid THEN 'committed' ELSE 'compensated' END, steps = CASE WHEN id = $3::uuid THEN steps "
            + "ELSE steps || '[{\"event\": \"ExternalPaymentSucceeded\"}]'::jsonb END "
            + "WHERE id IN ($1::uuid, $2::uuid, $3::uuid)")
        .execute(io.vertx.sqlclient.Tuple.of(completed, committed, compensated)).await();
    long from = store.eventCursor(ProviderSettlements.CURSOR).await();
    List<TransferEvent> events = List.of(
        event(from + 1, "returned", "tr-completed"),
        event(from + 2, "returned", "tr-committed"),
        event(from + 3, "failed", "tr-declined"));

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
