package dev.ledgerline.events;

/** An event refused before anything was written: the caller's input is wrong, retrying it unchanged cannot help. */
public final class EventRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public enum Reason { UNKNOWN_TYPE, PAYLOAD_TOO_LARGE, INVALID }

  private final Reason reason;

  public EventRejectedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
