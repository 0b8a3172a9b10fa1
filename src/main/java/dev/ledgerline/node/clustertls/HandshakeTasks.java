package dev.ledgerline.node.clustertls;

import javax.net.ssl.SSLEngine;

/** Runs an engine's delegated handshake work (certificate checks) in place: handshakes are rare, on join only. */
final class HandshakeTasks {
  private HandshakeTasks() {}

  static void run(SSLEngine engine) {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }
}
