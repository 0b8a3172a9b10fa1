package dev.ledgerline.gateway.auth;

/**
 * The revocation store could not answer (Redis unreachable, or slower than its timeout). The gateway fails closed
 * for writes (503) and applies {@code auth.revocation.reads-when-unavailable} to reads.
 */
public final class RevocationUnavailableException extends RuntimeException {
  public RevocationUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
