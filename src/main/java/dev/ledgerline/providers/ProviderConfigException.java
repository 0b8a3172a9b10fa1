package dev.ledgerline.providers;

/** The {@code providers.*} configuration cannot be used (no credentials for a real provider, two secret sources). */
public final class ProviderConfigException extends RuntimeException {
  public ProviderConfigException(String message) {
    super(message);
  }
}
