package dev.ledgerline.transactions.saga;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The saga's ledger steps and compensations. Each is idempotent: ids come from the payment id and the step, so a retry
 * or a re-driven run answers {@code exists} instead of moving money twice. Non-retryable failures carry a type from
 * {@link SagaFailures}; anything else (ledger overloaded, timed out, unreachable) is retried.
 */
@ActivityInterface
public interface LedgerSagaActivities {
  /** Step 1: pending payer → clearing with the hold timeout. {@link SagaFailures#INSUFFICIENT_FUNDS} when short. */
  @ActivityMethod(name = "reserve-funds")
  void reserveFunds(PaymentLegs legs);

  /** Step 2: pending clearing → {@code provider:<name>} with the hold timeout. */
  @ActivityMethod(name = "create-pending")
  void createPending(PaymentLegs legs);

  /** Step 4: posts both pending transfers as one linked chain, so both or neither. */
  @ActivityMethod(name = "commit-transfer")
  void commitTransfer(PaymentLegs legs);

  /** Compensation of step 1. Already voided, expired or never created count as done. */
  @ActivityMethod(name = "void-reserve")
  void voidReserve(PaymentLegs legs);

  /** Compensation of step 2. Already voided, expired or never created count as done. */
  @ActivityMethod(name = "void-pending")
  void voidPending(PaymentLegs legs);

  /**
   * Compensation of step 4: when the commit is posted, posts the amounts back (provider → clearing → payer) as one
   * linked chain; never a void. Answers whether there was a commit to reverse.
   */
  @ActivityMethod(name = "reverse-commit")
  boolean reverseCommit(PaymentLegs legs);
}
