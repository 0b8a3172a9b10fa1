package dev.ledgerline.providers;

/** Too many provider webhooks are being verified at once: answer 503 with Retry-After; the provider sends it again. */
public final class WebhookBusyException extends RuntimeException {
  public WebhookBusyException(String message) {
    super(message, null, false, false);
  }
}
