package dev.ledgerline.gateway.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 6455 on a stream connection's frames, ahead of Vert.x (which decodes text leniently and, on a protocol error,
 * drops the TCP connection without a word): a text message that is not valid UTF-8 is closed with 1007, and a frame
 * the decoder rejects (unmasked, reserved bits, an unknown opcode, a fragmented control frame, too large) is closed
 * with the status the decoder names (1002 or 1009); in both cases the close frame is flushed before the connection is
 * closed.
 */
final class FrameGuard extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(FrameGuard.class);
  /** Vert.x's own connection handler in the pipeline; the guard goes right before it. */
  private static final String VERTX_HANDLER = "handler";

  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
  /** The incomplete UTF-8 sequence that ended the previous fragment (at most 3 bytes). */
  private ByteBuffer carry = ByteBuffer.allocate(0);
  private boolean inText;
  private boolean closing;

  /** Puts a guard in front of the socket's Vert.x handler. */
  static void install(ServerWebSocket ws) {
    if (ws instanceof WebSocketInternal internal) {
      var pipeline = internal.channelHandlerContext().pipeline();
      if (pipeline.get(VERTX_HANDLER) != null) {
        pipeline.addBefore(VERTX_HANDLER, "ledgerline-frame-guard", new FrameGuard());
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof TextWebSocketFrame f) {
      utf8.reset();
      carry = ByteBuffer.allocate(0);
      inText = !f.isFinalFragment();
      if (!validUtf8(f.content(), f.isFinalFragment())) {
        ReferenceCountUtil.release(msg);
        close(ctx, WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "text is not valid UTF-8");
        return;
      }
    } else if (msg instanceof ContinuationWebSocketFrame f && inText) {
      inText = !f.isFinalFragment();
      if (!validUtf8(f.content(), f.isFinalFragment())) {
        ReferenceCountUtil.release(msg);
        close(ctx, WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "text is not valid UTF-8");
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  private boolean validUtf8(ByteBuf content, boolean last) {
    ByteBuffer in = ByteBuffer.allocate(carry.remaining() + content.readableBytes());
    in.put(carry);
    content.getBytes(content.readerIndex(), in);
    in.flip();
    CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
    CoderResult r = utf8.decode(in, out, last);
    if (r.isError()) {
      return false;
    }
    if (last) {
      return !in.hasRemaining() && !utf8.flush(out).isError();
    }
    carry = ByteBuffer.allocate(in.remaining()).put(in).flip();
    return true;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (cause instanceof CorruptedWebSocketFrameException c) {
      WebSocketCloseStatus status = c.closeStatus() == null ? WebSocketCloseStatus.PROTOCOL_ERROR : c.closeStatus();
      close(ctx, status, "protocol error");
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  private void close(ChannelHandlerContext ctx, WebSocketCloseStatus status, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    LOG.debug("stream closed with {}: {}", status.code(), reason);
    ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
  }
}
