package dev.ledgerline.ledger.wire;

import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Cuts a TCP byte stream into messages, as TigerBeetle's message bus does: a 256-byte header whose checksum, size,
 * cluster and command are checked before its body is awaited, then the body, checked against {@code checksum_body}.
 * A failed check means the peer does not speak this protocol (or the bytes were damaged): the connection is closed,
 * so nothing after it is trusted.
 */
final class FrameParser {
  /** One message: its header and body (empty, never null). */
  record Frame(WireHeader header, byte[] body) {}

  /** The stream is not a valid message stream; the connection must be closed. */
  static final class MalformedFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedFrameException(String message) {
      super(message);
    }
  }

  private final UInt128 cluster;
  private Buffer pending = Buffer.buffer();
  private int position;
  /** The checked header whose body is still arriving, or null. */
  private WireHeader header;

  FrameParser(UInt128 cluster) {
    this.cluster = cluster;
  }

  /** Feeds received bytes; every complete message goes to {@code frames} in order. */
  void feed(Buffer data, Consumer<Frame> frames) throws MalformedFrameException {
    pending.appendBuffer(data);
    while (true) {
      int available = pending.length() - position;
      if (header == null) {
        if (available < WireHeader.SIZE) break;
        header = checkedHeader(pending.getBytes(position, position + WireHeader.SIZE));
        position += WireHeader.SIZE;
        continue;
      }
      int bodySize = (int) header.size() - WireHeader.SIZE;
      if (available < bodySize) break;
      byte[] body = pending.getBytes(position, position + bodySize);
      position += bodySize;
      WireHeader h = header;
      header = null;
      if (!h.validChecksumBody(body)) throw new MalformedFrameException("checksum_body mismatch");
      frames.accept(new Frame(h, body));
    }
    // Keep only the unread tail, so the buffer never holds more than one message and a partial read.
    if (position > 0) {
      pending = pending.getBuffer(position, pending.length());
      position = 0;
    }
  }

  /** Part of a message has arrived and the rest has not. */
  boolean midFrame() {
    return pending.length() > position || header != null;
  }

  private WireHeader checkedHeader(byte[] bytes) throws MalformedFrameException {
    WireHeader h = WireHeader.wrap(bytes);
    if (!h.validChecksum()) throw new MalformedFrameException("header checksum mismatch");
    if (h.size() < WireHeader.SIZE) throw new MalformedFrameException("size " + h.size() + " < 256");
    if (h.size() > WireHeader.MESSAGE_SIZE_MAX) {
      throw new MalformedFrameException("size " + h.size() + " > message_size_max");
    }
    if (!h.cluster().equals(cluster)) throw new MalformedFrameException("wrong cluster " + h.cluster());
    if (h.command() > WireHeader.COMMAND_MAX) throw new MalformedFrameException("unknown command " + h.command());
    return h;
  }
}
