package dev.ledgerline.providers;

/**
 * No such bank link (never made, or unlinked since): without its access token no provider call can be made for it,
 * so no provider transfer can have been created through it after it was gone.
 */
public final class UnknownLinkedAccountException extends RuntimeException {
  public UnknownLinkedAccountException(String message) {
    super(message, null, false, false);
  }
}
