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
   * restart): a transfer may exist that the saga has no reference of. Fences the payment's row so that no create can
   * still be sent, then cancels the recorded transfer, or cancels the recorded authorization if it is unused, or finds
   * the transfer made of it (one per authorization) and cancels or refunds that. Nothing recorded: no create was sent.
   * Idempotent, like {@link #cancelTransfer}.
   */
  @ActivityMethod(name = "cancel-external-unanswered")
  void cancelUnanswered(ProviderTransferRequest request);
}
