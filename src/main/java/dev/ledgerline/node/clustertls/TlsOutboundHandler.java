package dev.ledgerline.node.clustertls;

import com.hazelcast.internal.networking.HandlerStatus;
import com.hazelcast.internal.networking.OutboundHandler;
import com.hazelcast.internal.nio.IOUtil;
import java.io.EOFException;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * Last handler of a Hazelcast member channel's outbound pipeline: wraps the bytes Hazelcast's encoders produced
 * into TLS records for the socket, and drives the handshake's own sends. Nothing plain reaches the socket: until
 * the handshake has finished, application bytes wait in {@code src}.
 */
final class TlsOutboundHandler extends OutboundHandler<ByteBuffer, ByteBuffer> {
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
  static final int RECORDS_PER_BUFFER = 4;
  private final SSLEngine engine;

  TlsOutboundHandler(SSLEngine engine) {
    this.engine = engine;
  }

  @Override
  public void handlerAdded() {
    // Room for several records, so one pass over a large frame writes more than one record to the socket.
    initDstBuffer(RECORDS_PER_BUFFER * engine.getSession().getPacketBufferSize());
  }

  @Override
  public HandlerStatus onWrite() throws Exception {
    IOUtil.compactOrClear(dst);
    try {
      while (true) {
        HandshakeStatus hs = HandshakeTasks.settle(engine);
        if (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN) {
          // Waiting for the peer; the inbound handler wakes this pipeline when there is something to send.
          channel.inboundPipeline().wakeup();
          return HandlerStatus.BLOCKED;
        }
        boolean handshaking = hs == HandshakeStatus.NEED_WRAP;
        if (!handshaking && (src == null || !src.hasRemaining())) {
          return HandlerStatus.CLEAN;
        }
        SSLEngineResult result = engine.wrap(handshaking ? EMPTY : src, dst);
        switch (result.getStatus()) {
          case BUFFER_OVERFLOW:
            return HandlerStatus.DIRTY; // the socket takes dst first
          case CLOSED:
            throw new EOFException("TLS session closed");
          case OK:
          default:
            break;
        }
        if (handshaking || result.getHandshakeStatus() == HandshakeStatus.FINISHED) {
          // The inbound side may be blocked on this send (or on the end of the handshake).
          channel.inboundPipeline().wakeup();
        }
        if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
          return HandlerStatus.DIRTY;
        }
      }
    } finally {
      dst.flip();
    }
  }
}
