package dev.ledgerline.transactions.saga;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * The saga's external step, through the provider's circuit breaker. An open breaker, a 5xx or a timeout is thrown as
 * a retryable failure (the workflow retries with backoff until {@code payments.external-deadline}); a decline is a
 * non-retryable {@link SagaFailures#PROVIDER_DECLINED}.
 */
@ActivityInterface
public interface ProviderActivities {
  /** Step 3: creates the provider transfer with idempotency key = the payment id; a retry finds the same transfer. */
  @ActivityMethod(name = "process-external")
  ProviderTransfer createTransfer(ProviderTransferRequest request);

  /** The transfer's current state ({@code /transfer/get}), for settlement without a webhook. */
  @ActivityMethod(name = "get-external")
  ProviderTransfer getTransfer(String provider, String paymentId, String reference);

  /**
   * Compensation of step 3: cancels the transfer, or reverses it once it can no longer be cancelled. Idempotent; a
   * transfer that was never created (no reference, or none under the payment id) counts as done.
   */
  @ActivityMethod(name = "cancel-external")
  void cancelTransfer(String provider, String paymentId, String reference);

  /**
   * Compensation of step 3 when the saga never heard the create's answer (a timeout, a cancel while it ran, a
   * restart): a transfer may exist that the saga has no reference of. Cancels the recorded one, or else asks the
   * provider again under the payment's idempotency key, which answers the transfer a lost create made (one per key)
   * or makes it now, and cancels that. Idempotent, like {@link #cancelTransfer}.
   */
  @ActivityMethod(name = "cancel-external-unanswered")
  void cancelUnanswered(ProviderTransferRequest request);
}
