package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.UInt128;
import java.util.List;

/**
 * A write reached the ledger's log but the ledger halted before it could confirm the write durable (a failed fsync):
 * the record may be on disk and replay at the next start, or not. Like a timeout this is never "failed": look the
 * {@link #ids()} up once the ledger is back, or resubmit them (ids make creates idempotent). The ledger stays halted
 * until it is restarted.
 */
public final class LedgerOutcomeUnknownException extends LedgerException {
  private final String operation;
  private final List<UInt128> ids;

  /** As raised by a backend, which does not know the request's address or ids. */
  public LedgerOutcomeUnknownException(String message, Throwable cause) {
    super(message, cause);
    this.operation = "";
    this.ids = List.of();
  }

  /** As seen by a caller: the request's address and the ids of its events. */
  public LedgerOutcomeUnknownException(String operation, List<UInt128> ids, String message) {
    super(message);
    this.operation = operation;
    this.ids = List.copyOf(ids);
  }

  /** The event-bus address of the request, or empty when raised by a backend. */
  public String operation() {
    return operation;
  }

  /** The ids of the request's events; empty when raised by a backend. */
  public List<UInt128> ids() {
    return ids;
  }
}
