package dev.ledgerline.transactions.saga;

/**
 * Types of the non-retryable {@code ApplicationFailure}s the activities throw: business answers that a retry cannot
 * change. Anything else an activity throws is transient and retried with backoff.
 */
public final class SagaFailures {
  /** reserve-funds: the payer's balance does not cover the amount. The payment fails with nothing to compensate. */
  public static final String INSUFFICIENT_FUNDS = "InsufficientFunds";
  /** The ledger refused a step for good (unknown account, different ledgers, closed account, ...). */
  public static final String LEDGER_REFUSED = "LedgerRefused";
  /** The provider declined the transfer: compensate at once. */
  public static final String PROVIDER_DECLINED = "ProviderDeclined";
  /**
   * A void found its pending transfer posted. Only a reversal may undo a posted transfer, and the saga did not post
   * it, so an operator decides.
   */
  public static final String ALREADY_POSTED = "PendingTransferAlreadyPosted";

  private SagaFailures() {}
}
