package dev.ledgerline.providers;

/** An incoming provider webhook whose signature, age or body hash does not verify: answer 400 and ignore it. */
public final class WebhookRejectedException extends RuntimeException {
  public WebhookRejectedException(String message) {
    super(message, null, false, false);
  }
}
