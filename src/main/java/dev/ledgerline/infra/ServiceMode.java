package dev.ledgerline.infra;

/** Whether the node starts a service itself or connects to one that already runs. */
public enum ServiceMode {
  /** The node starts the server as a child process, bound to 127.0.0.1. */
  EMBEDDED,
  /** The node connects to the server named by a URL. */
  EXTERNAL
}
