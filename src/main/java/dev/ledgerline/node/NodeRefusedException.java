package dev.ledgerline.node;

/**
 * The node will not start as configured: an unsafe combination of keys, or a listener whose address is taken.
 * {@code ledgerline run} prints the message and exits with {@link dev.ledgerline.cli.RunCommand#EXIT_CONFIG}.
 */
public class NodeRefusedException extends RuntimeException {
  public NodeRefusedException(String message) {
    super(message);
  }

  public NodeRefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
