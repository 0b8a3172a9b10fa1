package dev.ledgerline.events;

/**
 * A redelivery that cannot be done as asked: no such parked event, no such consumer, an earlier one waits, or the
 * consumer failed again (the event stays parked with the new error).
 */
public final class DeadEventException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public enum Reason { NOT_FOUND, UNKNOWN_CONSUMER, EARLIER_EVENT_PARKED, DELIVERY_FAILED }

  private final Reason reason;

  public DeadEventException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public DeadEventException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
