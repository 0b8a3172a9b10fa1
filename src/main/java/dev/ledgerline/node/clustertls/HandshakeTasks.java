package dev.ledgerline.node.clustertls;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/** Runs an engine's delegated handshake work (certificate checks) in place: handshakes are rare, on join only. */
final class HandshakeTasks {
  private HandshakeTasks() {}

  /** Runs delegated tasks until the engine needs none; returns the handshake status it is left in. */
  static HandshakeStatus settle(SSLEngine engine) {
    HandshakeStatus hs;
    while ((hs = engine.getHandshakeStatus()) == HandshakeStatus.NEED_TASK) {
      Runnable task;
      while ((task = engine.getDelegatedTask()) != null) {
        task.run();
      }
    }
    return hs;
  }
}
