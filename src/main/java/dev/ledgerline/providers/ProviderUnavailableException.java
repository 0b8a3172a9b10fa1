package dev.ledgerline.providers;

import java.time.Duration;

/**
 * The provider cannot be used now: it timed out, answered 5xx or 429, the connection failed, or its breaker is open
 * and refused the call without trying. The only kind of failure that counts towards opening a breaker.
 * {@link #retryAfter()} is when trying again makes sense.
 */
public final class ProviderUnavailableException extends ProviderException {
  private final Duration retryAfter;
  private final boolean shortCircuited;

  public ProviderUnavailableException(String provider, String errorType, String errorCode, String message,
      int httpStatus, String requestId, Duration retryAfter, boolean shortCircuited) {
    super(provider, errorType, errorCode, message, httpStatus, requestId);
    this.retryAfter = retryAfter;
    this.shortCircuited = shortCircuited;
  }

  /** A call its open breaker refused without reaching the provider. */
  static ProviderUnavailableException breakerOpen(String provider, Duration retryAfter) {
    return new ProviderUnavailableException(provider, "API_ERROR", "BREAKER_OPEN",
        "the provider's circuit breaker is open", 0, "", retryAfter, true);
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  /** True when the breaker refused the call and the provider was not asked. */
  public boolean shortCircuited() {
    return shortCircuited;
  }

  @Override
  public boolean unhealthy() {
    return true;
  }
}
