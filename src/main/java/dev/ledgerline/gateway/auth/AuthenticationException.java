package dev.ledgerline.gateway.auth;

/**
 * A token was refused. The message is the reason, for the log only: clients get a plain 401. No stack trace (this
 * is a verdict on input, and attackers can produce many).
 */
public final class AuthenticationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public AuthenticationException(String reason) {
    super(reason, null, false, false);
  }
}
