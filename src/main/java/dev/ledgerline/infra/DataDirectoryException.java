package dev.ledgerline.infra;

/** The embedded PostgreSQL data directory cannot be created, written, reached or locked. */
public final class DataDirectoryException extends DataServiceException {

  public DataDirectoryException(String message) {
    super(message);
  }

  public DataDirectoryException(String message, Throwable cause) {
    super(message, cause);
  }
}
