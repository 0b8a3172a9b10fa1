package dev.ledgerline.ledger;

import java.time.Duration;

/**
 * The ledger's queue is full: the request was refused at once and nothing in it was executed. Safe to retry after
 * {@link #retryAfter()}; the gateway answers 503 with Retry-After.
 */
public final class LedgerOverloadedException extends LedgerException {
  /** A short back-off: a full queue drains within a few batches. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

  public LedgerOverloadedException(String message) {
    super(message);
  }

  public Duration retryAfter() {
    return DEFAULT_RETRY_AFTER;
  }
}
