package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.UInt128;
import java.util.List;

/** A ledger error that names the request it concerns: its event-bus address and the ids of its events. */
public abstract class LedgerRequestException extends LedgerException {
  private final String operation;
  private final List<UInt128> ids;

  protected LedgerRequestException(String operation, List<UInt128> ids, String message, Throwable cause) {
    super(message, cause);
    this.operation = operation;
    this.ids = List.copyOf(ids);
  }

  /** The event-bus address of the request, or empty when raised by a backend, which does not know it. */
  public String operation() {
    return operation;
  }

  /** The ids of the request's events (accounts, transfers or looked-up ids); empty for queries or from a backend. */
  public List<UInt128> ids() {
    return ids;
  }
}
