package dev.ledgerline.config;

/** A configuration the node refuses: the message is one line naming the key, the value and what is allowed. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String key;

  public ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The dotted key at fault, e.g. {@code gateway.port}. */
  public String key() {
    return key;
  }
}
