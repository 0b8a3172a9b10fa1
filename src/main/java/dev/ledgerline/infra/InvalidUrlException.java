package dev.ledgerline.infra;

/** A service URL in the configuration cannot be parsed or lacks a required part. */
public final class InvalidUrlException extends DataServiceException {

  public InvalidUrlException(String message) {
    super(message);
  }
}
