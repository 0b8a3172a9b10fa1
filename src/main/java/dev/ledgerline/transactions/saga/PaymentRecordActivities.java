package dev.ledgerline.transactions.saga;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/** The payment row (the record that outlives an in-memory Temporal server) and the events derived from it. */
@ActivityInterface
public interface PaymentRecordActivities {
  /** The payment as its row holds it, with the saga's settings. */
  @ActivityMethod(name = "load-payment")
  PaymentOrder load(String paymentId);

  /**
   * Updates the row (status, steps) and its outbox event in one PostgreSQL transaction, then appends the change to
   * the ledger event store; a retry completes whichever half is missing.
   */
  @ActivityMethod(name = "record-payment")
  void record(PaymentUpdate update);

  /** Several state changes of one payment, in order, written as {@link #record} writes one: one transaction. */
  @ActivityMethod(name = "record-payment-changes")
  void recordAll(List<PaymentUpdate> updates);

  /** Step 5 and its compensation: publishes {@code transaction.updated} with the payer's new balances. */
  @ActivityMethod(name = "update-balance")
  void publishUpdated(String paymentId, PaymentStatus status);
}
