package dev.ledgerline.providers;

/**
 * A provider's refusal or failure, with the provider's own error object where it sent one ({@code error_type},
 * {@code error_code}, {@code error_message}, as Plaid does). Never carries a token or a request body.
 */
public class ProviderException extends RuntimeException {
  private final String provider;
  private final String errorType;
  private final String errorCode;
  private final int httpStatus;
  private final String requestId;

  public ProviderException(String provider, String errorType, String errorCode, String message, int httpStatus,
      String requestId) {
    super(provider + ": " + errorType + "/" + errorCode + ": " + message, null, false, false);
    this.provider = provider;
    this.errorType = errorType;
    this.errorCode = errorCode;
    this.httpStatus = httpStatus;
    this.requestId = requestId;
  }

  public String provider() {
    return provider;
  }

  /** Plaid's {@code error_type}, e.g. {@code INVALID_INPUT}, {@code API_ERROR}. */
  public String errorType() {
    return errorType;
  }

  /** Plaid's {@code error_code}, e.g. {@code INVALID_ACCESS_TOKEN}, {@code INTERNAL_SERVER_ERROR}. */
  public String errorCode() {
    return errorCode;
  }

  /** The HTTP status the provider answered with; 0 when no answer arrived (timeout, connection error). */
  public int httpStatus() {
    return httpStatus;
  }

  /** The provider's {@code request_id}, for its support; empty when none. */
  public String requestId() {
    return requestId;
  }

  /** Whether this failure says the provider is unhealthy, so it counts towards opening its breaker. */
  public boolean unhealthy() {
    return false;
  }
}
