package dev.ledgerline.ledger;

/** The backend is closed or has stopped for good (e.g. a failed fsync); nothing in the failed request was acknowledged. */
public class LedgerUnavailableException extends LedgerException {
  public LedgerUnavailableException(String message) {
    super(message);
  }

  public LedgerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
