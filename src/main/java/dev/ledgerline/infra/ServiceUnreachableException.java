package dev.ledgerline.infra;

/** A configured (external or embedded) service did not answer at its address. */
public final class ServiceUnreachableException extends DataServiceException {

  public ServiceUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
