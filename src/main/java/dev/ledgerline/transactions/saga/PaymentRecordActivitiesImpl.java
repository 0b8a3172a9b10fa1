package dev.ledgerline.transactions.saga;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.transactions.Payment;
import dev.ledgerline.transactions.PaymentStore;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.temporal.failure.ApplicationFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/**
 * The record activities over {@link PaymentStore}. They run on Temporal's threads and wait for PostgreSQL; a failure
 * is retried by the workflow (the row is the record, so the saga waits for it rather than going on without it).
 */
public final class PaymentRecordActivitiesImpl implements PaymentRecordActivities {
  /** load-payment: the row does not exist. Nothing can be done for it, so the workflow ends at once. */
  public static final String UNKNOWN_PAYMENT = "UnknownPayment";

  private final PaymentStore store;
  private final LedgerClient ledger;
  private final SagaSettings settings;
  private final SagaMeters meters;
  /**
   * Each payment's payer, as {@link #load} read it (a payment's account never changes): the completion's balance read
   * needs no second read of the row. Bounded; a payment not in it is read again.
   */
  private final Cache<String, String> payers = Caffeine.newBuilder().maximumSize(10_000)
      .expireAfterWrite(Duration.ofMinutes(10)).build();

  public PaymentRecordActivitiesImpl(PaymentStore store, LedgerClient ledger, SagaSettings settings) {
    this(store, ledger, settings, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
  }

  public PaymentRecordActivitiesImpl(PaymentStore store, LedgerClient ledger, SagaSettings settings,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.store = store;
    this.ledger = ledger;
    this.settings = settings;
    this.meters = new SagaMeters(registry);
  }

  @Override
  public PaymentOrder load(String paymentId) {
    Payment p = row(paymentId);
    payers.put(p.id(), p.fromAccountId());
    // A payment.requested that the POST could not append (its node died after the row) is appended by the run's
    // first record, before the events of its changes: each record appends what the store is missing, in order.
    // A cancel the row holds although the provider had already reported success came too late (the gateway refuses
    // one only once that success is in the row, which lags the saga): a run re-driven after it goes on, as the run
    // that got the cancel as a signal would have.
    return new PaymentOrder(p.id(), p.owner(), p.fromAccountId(), p.amount(), (int) p.ledger(), p.code(),
        p.provider(), p.linkedAccountId(), p.description(), p.status(),
        p.cancelRequested() && !p.externalSucceeded(), settings);
  }

  @Override
  public void record(PaymentUpdate update) {
    recordAll(List.of(update));
  }

  @Override
  public void recordAll(List<PaymentUpdate> updates) {
    store.record(updates).await();
    updates.forEach(meters::recorded);
  }

  @Override
  public void publishUpdated(String paymentId, PaymentStatus status) {
    String payer = payers.getIfPresent(paymentId);
    if (payer == null) payer = row(paymentId).fromAccountId();
    List<Account> found = ledger.lookupAccounts(List.of(UInt128.parse(payer))).await();
    JsonObject balances = new JsonObject();
    if (!found.isEmpty()) {
      Account a = found.get(0);
      balances.put("account_id", payer).put("debits_pending", a.debitsPending().toString())
          .put("debits_posted", a.debitsPosted().toString()).put("credits_pending", a.creditsPending().toString())
          .put("credits_posted", a.creditsPosted().toString());
    }
    store.publishUpdated(paymentId, status, balances).await();
  }

  private Payment row(String paymentId) {
    return store.get(paymentId).await().orElseThrow(() -> ApplicationFailure.newNonRetryableFailure(
        "no payment " + paymentId, UNKNOWN_PAYMENT));
  }
}
