package dev.ledgerline.transactions;

import dev.ledgerline.infra.temporal.TemporalService;
import dev.ledgerline.providers.PaymentProvider;
import dev.ledgerline.providers.PaymentProvider.TransferEvent;
import dev.ledgerline.providers.PaymentProvider.TransferEvents;
import dev.ledgerline.transactions.saga.PaymentStatus;
import dev.ledgerline.transactions.saga.ProviderTransfer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.client.WorkflowNotFoundException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the provider's "transfer events are waiting" webhook into settlement signals: reads
 * {@code /transfer/event/sync} (through the breaker) from this node's cursor and, for each event of a transfer that
 * belongs to an unfinished payment, publishes {@code provider.transfer.updated} through the outbox and signals that
 * payment's workflow {@code settlementUpdated} directly, unless the signal would tell it nothing (see
 * {@link #signal}).
 *
 * <p>At-least-once and idempotent: the cursor moves past an event only once its signal was delivered (or there was
 * nothing to signal), so a failure leaves the event for the next webhook; a repeated signal only makes the saga look
 * at a status it already knows. The saga's polling covers a webhook that never comes. The cursor is kept in
 * PostgreSQL after each page ({@code provider_event_cursors}, shared by the transactions nodes and never moved back),
 * so a restarted node goes on from where it was instead of reading the provider's whole history again.
 * Webhooks arriving during a sync are folded into one more pass.
 */
public final class ProviderSettlements {
  private static final Logger LOG = LoggerFactory.getLogger(ProviderSettlements.class);
  static final int PAGE = 100;
  /** The cursor's name in {@code provider_event_cursors}. */
  static final String CURSOR = "plaid:transfer-events";
  /**
   * Refunds that failed or were returned after the provider accepted them: the ledger has returned the money and the
   * bank has not, so an operator must act (the alert LedgerlinePaymentRefundFailed pages on it).
   */
  public static final String REFUNDS_FAILED_METRIC = "ledgerline.payments.refunds.failed";
  /**
   * Provider transfers that failed or were returned after the provider had reported them a success (an ACH return
   * comes days after the settlement): the ledger shows the money moved and the bank has taken it back, so an operator
   * must act (the alert LedgerlinePaymentReturnedAfterSuccess pages on it).
   */
  public static final String RETURNED_AFTER_SUCCESS_METRIC = "ledgerline.payments.returned.after.success";
  /** The refund events that mean the money is, or is on its way, back with the payer. */
  private static final java.util.Set<String> REFUND_OK = java.util.Set.of("refund.pending", "refund.posted",
      "refund.settled");

  private final PaymentProvider provider;
  private final PaymentStore payments;
  private final TemporalService temporal;
  private final Counter refundsFailed;
  private final Counter returnedAfterSuccess;
  private long cursor;
  private boolean syncing;
  private boolean again;

  public ProviderSettlements(PaymentProvider provider, PaymentStore payments, TemporalService temporal) {
    this(provider, payments, temporal, new SimpleMeterRegistry());
  }

  public ProviderSettlements(PaymentProvider provider, PaymentStore payments, TemporalService temporal,
      MeterRegistry registry) {
    this.provider = provider;
    this.payments = payments;
    this.temporal = temporal;
    this.refundsFailed = Counter.builder(REFUNDS_FAILED_METRIC)
        .description("provider refunds of compensated payments that failed or were returned after acceptance")
        .register(registry);
    this.returnedAfterSuccess = Counter.builder(RETURNED_AFTER_SUCCESS_METRIC)
        .description("provider transfers that failed or were returned after the provider had reported them a success")
        .register(registry);
  }

  /** Syncs on each {@link TransactionsApi#PROVIDER_TRANSFER_EVENTS} message (handled on the caller's event loop). */
  public MessageConsumer<JsonObject> register(Vertx vertx) {
    return vertx.eventBus().<JsonObject>consumer(TransactionsApi.PROVIDER_TRANSFER_EVENTS, m -> sync());
  }

  /** Starts a pass, or asks the running one to make another. */
  void sync() {
    if (syncing) {
      again = true;
      return;
    }
    syncing = true;
    again = false;
    // Another node, or this one before a restart, may have read further.
    payments.eventCursor(CURSOR).compose(stored -> {
      cursor = Math.max(cursor, stored);
      return page();
    }).onComplete(ar -> {
      if (ar.failed()) LOG.warn("syncing provider transfer events failed: {}", ar.cause().toString());
      syncing = false;
      if (again) sync();
    });
  }

  private Future<Void> page() {
    long from = cursor;
    return provider.transferEvents(cursor, PAGE).compose(page -> apply(page, 0)
        .compose(v -> cursor == from ? Future.succeededFuture() : payments.saveEventCursor(CURSOR, cursor))
        .compose(v -> page.hasMore() && !page.events().isEmpty() ? page() : Future.succeededFuture()));
  }

  private Future<Void> apply(TransferEvents page, int i) {
    if (i >= page.events().size()) return Future.succeededFuture();
    TransferEvent e = page.events().get(i);
    return signal(e).compose(v -> {
      cursor = Math.max(cursor, e.eventId());
      return apply(page, i + 1);
    });
  }

  /**
   * A settlement that overtook the recording of its transfer's reference matches no payment here and is skipped
   * without waiting: the create step reads the transfer again once the reference is recorded, so that payment learns
   * it from there (and from its poll should that read fail), and the pass never holds the events behind it.
   */
  private Future<Void> signal(TransferEvent e) {
    if (e.transferId() == null || e.transferId().isEmpty()) return Future.succeededFuture();
    if (e.eventType() != null && e.eventType().startsWith("refund.")) return refunded(e);
    ProviderTransfer update = new ProviderTransfer(e.transferId(), e.eventType(),
        ProviderTransfer.Outcome.ofPlaid(e.eventType()), null);
    Future<java.util.Set<String>> told = update.outcome() == ProviderTransfer.Outcome.FAILED ? afterSuccess(e)
        : Future.succeededFuture(java.util.Set.of());
    return told.compose(published -> payments.unfinishedByProviderReference(e.transferId()).compose(matches -> {
      Future<Void> chain = Future.succeededFuture();
      for (PaymentStore.ReferencedPayment match : matches) {
        String id = match.id();
        if (!TransactionsApi.ID.matcher(id).matches()) continue;
        JsonObject payload = payload(e, update.outcome().name().toLowerCase(java.util.Locale.ROOT));
        if (!published.contains(id)) {
          chain = chain.compose(v -> payments.publishProviderTransferUpdated(id, e.transferId(), payload));
        }
        // No signal where it tells the saga nothing: a pending transfer (it waits either way), or a saga whose create
        // step already had the final status. Each signal costs a workflow task, and one that comes while the saga
        // completes makes Temporal run that last task again.
        if (update.outcome() == ProviderTransfer.Outcome.PENDING || match.outcomeKnown()) continue;
        chain = chain.compose(v -> temporal.blocking(() -> {
          try {
            temporal.client().newWorkflowStub(PaymentWorkflow.class, TransactionsApi.workflowId(id))
                .settlementUpdated(update);
          } catch (WorkflowNotFoundException gone) {
            // Finished meanwhile: nothing is waiting for this event.
          }
          return null;
        }).onSuccess(x -> LOG.debug("payment {}: provider transfer {} is {}", id, e.transferId(), e.eventType()))
            .mapEmpty());
      }
      return chain;
    }));
  }

  /**
   * A transfer that failed or was returned after the provider had reported it a success (an ACH return comes days
   * after the settlement): the bank has taken back money it had moved. That is published, logged and counted for an
   * operator, as a failed refund is, whatever the payment's status now: completed or still committed or waiting for
   * an operator (the ledger shows the money moved), or compensated with a refund (the payer got it back twice). A
   * failure before any success is the one the saga compensates: nothing to say. Answers the payments it published
   * the event of, which the caller does not publish it again for.
   */
  private Future<java.util.Set<String>> afterSuccess(TransferEvent e) {
    return payments.byProviderReference(e.transferId()).compose(ids -> {
      java.util.Set<String> published = new java.util.HashSet<>();
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        if (!TransactionsApi.ID.matcher(id).matches()) continue;
        chain = chain.compose(v -> payments.get(id)).compose(found -> {
          if (found.isEmpty() || !found.get().externalSucceeded()) return Future.succeededFuture();
          returnedAfterSuccess.increment();
          LOG.warn("payment {} ({}): provider transfer {} is {} after the provider reported it a success; the bank "
              + "has taken back money it had moved, an operator must look", id, found.get().status().wireName(),
              e.transferId(), e.eventType());
          published.add(id);
          return payments.publishProviderTransferUpdated(id, e.transferId(), payload(e, "failed"));
        });
      }
      return chain.map(published);
    });
  }

  /**
   * A refund's event (refund.pending, refund.settled, refund.failed, ...) is about a compensation's refund, never the
   * transfer's own outcome. Its payment has usually ended by then (the compensation is done once the refund is
   * accepted), so it is matched whatever the payment's status, published with outcome {@code refund}, never
   * signalled; a refund that failed after it was accepted is logged and counted for an operator (once per event of a
   * known payment; an event read again after a crash counts again, which an alert on any increase tolerates).
   */
  private Future<Void> refunded(TransferEvent e) {
    return payments.byProviderReference(e.transferId()).compose(ids -> {
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        if (!TransactionsApi.ID.matcher(id).matches()) continue;
        if (!REFUND_OK.contains(e.eventType())) {
          refundsFailed.increment();
          LOG.warn("payment {}: the refund of provider transfer {} is {}; the money has not been returned, an "
              + "operator must look", id, e.transferId(), e.eventType());
        }
        JsonObject payload = payload(e, "refund");
        chain = chain.compose(v -> payments.publishProviderTransferUpdated(id, e.transferId(), payload));
      }
      return chain;
    });
  }

  /** The {@code provider.transfer.updated} payload of event {@code e}. */
  private static JsonObject payload(TransferEvent e, String outcome) {
    return new JsonObject().put("transfer_id", e.transferId()).put("event_id", e.eventId())
        .put("event_type", e.eventType()).put("outcome", outcome)
        .put("timestamp", e.timestamp() == null ? null : e.timestamp().toString());
  }
}
