package dev.ledgerline.gateway.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/** Stream metrics of one node, made once and shared by its gateway instances. */
public final class StreamMetrics {
  private final AtomicInteger open;
  private final Counter slow;
  private final Counter expired;

  public StreamMetrics(MeterRegistry registry) {
    this.open = new AtomicInteger();
    Gauge.builder("ledgerline.stream.connections", open, AtomicInteger::get)
        .description("open WebSocket stream connections").register(registry);
    this.slow = Counter.builder("ledgerline.stream.closed.slow")
        .description("stream connections closed with 1013 for not reading").register(registry);
    this.expired = Counter.builder("ledgerline.stream.closed.expired")
        .description("stream connections closed with 1008 at the token's expiry").register(registry);
  }

  /** Connections closed for not reading, since start. */
  public long slowCloses() {
    return (long) slow.count();
  }

  /** Open connections on this node. */
  public int open() {
    return open.get();
  }

  void opened() {
    open.incrementAndGet();
  }

  void closed() {
    open.decrementAndGet();
  }

  void tooSlow() {
    slow.increment();
  }

  void expired() {
    expired.increment();
  }
}
