package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.UInt128;
import java.util.List;

/**
 * The ledger did not answer within {@code ledger.request-timeout}. For a create request the outcome is unknown: the
 * batch may still commit (a real TigerBeetle client retries forever), so this is never "failed". Look the
 * {@link #ids()} up to learn what happened, or resubmit them: ids make creates idempotent ({@code exists}).
 */
public final class LedgerTimeoutException extends LedgerRequestException {
  public LedgerTimeoutException(String operation, List<UInt128> ids, String message) {
    super(operation, ids, message, null);
  }

  /** True for creates: the write may or may not have been applied. */
  public boolean outcomeUnknown() {
    return LedgerApi.isWrite(operation());
  }
}
