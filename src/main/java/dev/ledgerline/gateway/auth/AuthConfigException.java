package dev.ledgerline.gateway.auth;

/**
 * A key or authentication setting the gateway cannot use (unreadable PEM, weak secret, algorithm not allowed...). The
 * message names the configuration key; the node does not start.
 */
public class AuthConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String key;

  public AuthConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  public AuthConfigException(String key, String message, Throwable cause) {
    super(message, cause);
    this.key = key;
  }

  /** The configuration key at fault, e.g. {@code auth.jwt.public-keys}. */
  public String key() {
    return key;
  }
}
