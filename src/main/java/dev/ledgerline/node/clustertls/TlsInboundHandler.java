package dev.ledgerline.node.clustertls;

import com.hazelcast.internal.networking.HandlerStatus;
import com.hazelcast.internal.networking.InboundHandler;
import com.hazelcast.internal.nio.IOUtil;
import java.io.EOFException;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * First handler of a Hazelcast member channel's inbound pipeline: unwraps TLS records from the socket and hands the
 * plain bytes to Hazelcast's own protocol decoder behind it. Buffers follow Hazelcast's convention: {@code src} is
 * in write mode between calls, {@code dst} (the next handler's src) is written to.
 */
final class TlsInboundHandler extends InboundHandler<ByteBuffer, ByteBuffer> {
  private final SSLEngine engine;
  /** Plain bytes unwrapped but not yet taken by the next handler. */
  private ByteBuffer plain;

  TlsInboundHandler(SSLEngine engine) {
    this.engine = engine;
  }

  @Override
  public void handlerAdded() {
    // At least one whole TLS record must fit, or unwrap could never make progress; several make reads cheaper.
    initSrcBuffer(TlsOutboundHandler.RECORDS_PER_BUFFER * engine.getSession().getPacketBufferSize());
    plain = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
  }

  @Override
  public HandlerStatus onRead() throws Exception {
    if (!drainPlain()) {
      return HandlerStatus.DIRTY;
    }
    src.flip();
    try {
      while (true) {
        HandshakeStatus hs = HandshakeTasks.settle(engine);
        if (hs == HandshakeStatus.NEED_WRAP) {
          // The engine has handshake bytes to send first; the outbound handler wakes this pipeline again.
          channel.outboundPipeline().wakeup();
          return HandlerStatus.BLOCKED;
        }
        SSLEngineResult result = engine.unwrap(src, plain);
        switch (result.getStatus()) {
          case BUFFER_UNDERFLOW:
            return HandlerStatus.CLEAN; // wait for the rest of the record
          case BUFFER_OVERFLOW:
            if (!drainPlain()) {
              return HandlerStatus.DIRTY;
            }
            if (plain.capacity() < engine.getSession().getApplicationBufferSize()) {
              plain = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
            }
            continue;
          case CLOSED:
            throw new EOFException("TLS session closed by the peer");
          case OK:
          default:
            break;
        }
        if (result.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING) {
          // The outbound side waits for the handshake: to answer it, or to send the frames queued meanwhile.
          channel.outboundPipeline().wakeup();
        }
        if (!drainPlain()) {
          return HandlerStatus.DIRTY;
        }
        if (result.bytesConsumed() == 0 && result.bytesProduced() == 0
            && engine.getHandshakeStatus() != HandshakeStatus.NEED_TASK
            && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
          return HandlerStatus.CLEAN;
        }
      }
    } finally {
      IOUtil.compactOrClear(src);
    }
  }

  /** Moves unwrapped bytes to the next handler; true when none are left behind. */
  private boolean drainPlain() {
    plain.flip();
    if (plain.remaining() > dst.remaining()) {
      int limit = plain.limit();
      plain.limit(plain.position() + dst.remaining());
      dst.put(plain);
      plain.limit(limit);
    } else {
      dst.put(plain);
    }
    boolean drained = !plain.hasRemaining();
    IOUtil.compactOrClear(plain);
    return drained;
  }
}
