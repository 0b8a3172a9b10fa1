package dev.ledgerline.infra;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * An event-bus codec of an immutable message from its binary encoder and decoder. Immutable, so local delivery passes
 * the same instance and only messages to other nodes are encoded.
 */
public final class BusCodec<T> implements MessageCodec<T, T> {
  private final String name;
  private final BiConsumer<Buffer, T> encode;
  private final BiFunction<Integer, Buffer, T> decode;

  /** {@code decode} reads the message from its position in the buffer. */
  public BusCodec(String name, BiConsumer<Buffer, T> encode, BiFunction<Integer, Buffer, T> decode) {
    this.name = name;
    this.encode = encode;
    this.decode = decode;
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    encode.accept(buffer, value);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    return decode.apply(pos, buffer);
  }

  @Override
  public T transform(T value) {
    return value;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
