package dev.ledgerline.ledger;

/**
 * One request holds more events than one batch may ({@code ledger.batch.max-events}, at most
 * {@link LedgerBackend#BATCH_MAX}). Requests are never split (that would break linked chains and atomicity), so it
 * was refused whole and nothing in it was executed: send fewer events per request.
 */
public final class RequestTooLargeException extends LedgerException {
  private final int events;

  public RequestTooLargeException(int events, String message) {
    super(message);
    this.events = events;
  }

  public int events() {
    return events;
  }
}
