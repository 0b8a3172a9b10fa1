package dev.ledgerline.providers;

/**
 * The provider refused a public token or access token (Plaid: {@code INVALID_PUBLIC_TOKEN},
 * {@code INVALID_ACCESS_TOKEN}, {@code ITEM_NOT_FOUND}): the link has to be made again. Not a provider failure.
 */
public final class InvalidProviderTokenException extends ProviderException {
  public InvalidProviderTokenException(String provider, String errorType, String errorCode, String message,
      int httpStatus, String requestId) {
    super(provider, errorType, errorCode, message, httpStatus, requestId);
  }
}
