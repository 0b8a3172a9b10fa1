package dev.ledgerline.infra;

/** Base of the typed failures of the data services; the message always says what to do about it. */
public class DataServiceException extends RuntimeException {

  public DataServiceException(String message) {
    super(message);
  }

  public DataServiceException(String message, Throwable cause) {
    super(message, cause);
  }
}
