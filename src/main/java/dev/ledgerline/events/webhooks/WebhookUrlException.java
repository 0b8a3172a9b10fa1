package dev.ledgerline.events.webhooks;

/** A webhook URL refused: its form, its scheme, or an address it resolves to; the message says which. */
public final class WebhookUrlException extends RuntimeException {
  public WebhookUrlException(String message) {
    super(message, null, false, false);
  }
}
