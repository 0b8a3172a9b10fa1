package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.UInt128;
import java.util.List;

/**
 * The ledger did not answer within {@code ledger.request-timeout}. For a create request the outcome is unknown: the
 * batch may still commit (a real TigerBeetle client retries forever), so this is never "failed". Look the
 * {@link #ids()} up to learn what happened, or resubmit them: ids make creates idempotent ({@code exists}).
 */
public final class LedgerTimeoutException extends LedgerException {
  private final String operation;
  private final List<UInt128> ids;

  public LedgerTimeoutException(String operation, List<UInt128> ids, String message) {
    super(message);
    this.operation = operation;
    this.ids = List.copyOf(ids);
  }

  /** The event-bus address of the request that timed out. */
  public String operation() {
    return operation;
  }

  /** The ids of the request's events (accounts, transfers or looked-up ids); empty for queries. */
  public List<UInt128> ids() {
    return ids;
  }

  /** True for creates: the write may or may not have been applied. */
  public boolean outcomeUnknown() {
    return LedgerApi.isWrite(operation);
  }
}
