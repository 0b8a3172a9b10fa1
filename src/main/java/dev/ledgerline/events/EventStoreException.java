package dev.ledgerline.events;

/** The ledger refused an event store write for a reason other than a version conflict (a misconfiguration). */
public final class EventStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EventStoreException(String message) {
    super(message);
  }
}
