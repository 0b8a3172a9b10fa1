package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.UInt128;
import java.util.List;

/**
 * A write reached the ledger's log but the ledger halted before it could confirm the write durable (a failed fsync):
 * the record may be on disk and replay at the next start, or not. Like a timeout this is never "failed": look the
 * {@link #ids()} up once the ledger is back, or resubmit them (ids make creates idempotent). The ledger stays halted
 * until it is restarted.
 */
public final class LedgerOutcomeUnknownException extends LedgerRequestException {
  /** As raised by a backend, which does not know the request's address or ids. */
  public LedgerOutcomeUnknownException(String message, Throwable cause) {
    super("", List.of(), message, cause);
  }

  /** As seen by a caller: the request's address and the ids of its events. */
  public LedgerOutcomeUnknownException(String operation, List<UInt128> ids, String message) {
    super(operation, ids, message, null);
  }
}
