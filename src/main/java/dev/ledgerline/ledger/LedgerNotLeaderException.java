package dev.ledgerline.ledger;

/**
 * The ledger node does not hold the write lease ({@link LedgerLease}): the request was not executed, and may be sent
 * again once a node holds it. A kind of unavailability, answered 503 with Retry-After.
 */
public final class LedgerNotLeaderException extends LedgerUnavailableException {
  public LedgerNotLeaderException(String message) {
    super(message);
  }
}
