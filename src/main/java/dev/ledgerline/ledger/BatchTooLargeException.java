package dev.ledgerline.ledger;

/** A request carried more events than {@link LedgerBackend#BATCH_MAX} (TigerBeetle's client: TooMuchData). */
public final class BatchTooLargeException extends LedgerException {
  private final int events;

  public BatchTooLargeException(int events) {
    super("batch of " + events + " events exceeds the limit of " + LedgerBackend.BATCH_MAX);
    this.events = events;
  }

  public int events() {
    return events;
  }
}
