package dev.ledgerline.transactions;

/**
 * A {@code transaction.*} event the handler cannot act on. Its delivery fails every time, so the relay parks it in
 * {@code events_dead} for an operator instead of the handler crashing or guessing.
 */
public final class TransactionEventException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public enum Reason { MALFORMED_PAYLOAD }

  private final Reason reason;

  public TransactionEventException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
