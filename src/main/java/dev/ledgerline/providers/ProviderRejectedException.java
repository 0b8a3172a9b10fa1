package dev.ledgerline.providers;

/**
 * The provider answered and refused the request (a 4xx other than 429: invalid request, a blocked account, a transfer
 * that cannot be cancelled, ...). It is healthy; the request was wrong or not allowed, so it never trips a breaker.
 */
public final class ProviderRejectedException extends ProviderException {
  public ProviderRejectedException(String provider, String errorType, String errorCode, String message,
      int httpStatus, String requestId) {
    super(provider, errorType, errorCode, message, httpStatus, requestId);
  }
}
