package dev.ledgerline.ledger;

/**
 * A fencing epoch lower than the one the ledger has already recorded: the caller's write lease was superseded by a
 * newer holder. Nothing was recorded.
 */
public final class StaleEpochException extends LedgerException {
  private final long requested;
  private final long current;

  public StaleEpochException(long requested, long current) {
    super("fencing epoch " + requested + " is lower than the ledger's current epoch " + current
        + "; a newer lease holder has fenced this one off");
    this.requested = requested;
    this.current = current;
  }

  public long requested() {
    return requested;
  }

  public long current() {
    return current;
  }
}
