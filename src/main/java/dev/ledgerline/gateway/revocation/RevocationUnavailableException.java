package dev.ledgerline.gateway.revocation;

/**
 * The revocation store could not answer: for a check, neither Redis nor PostgreSQL answered in time; for a
 * revocation, one of them could not take it. The gateway answers a revocation with 503, fails closed for writes
 * (503) and applies {@code auth.revocation.reads-when-unavailable} to reads.
 */
public final class RevocationUnavailableException extends RuntimeException {
  public RevocationUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
