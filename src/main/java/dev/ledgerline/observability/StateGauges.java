package dev.ledgerline.observability;

import dev.ledgerline.events.ConsumerLag;
import dev.ledgerline.events.OutboxRelay;
import dev.ledgerline.transactions.PaymentStore;
import dev.ledgerline.transactions.saga.PaymentStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges of state that lives in PostgreSQL, not in this process: payments by status and, per event consumer, the
 * undelivered events (outbox depth), the oldest one's age (relay lag) and the parked ones. A gauge must answer at
 * once, so they are read on a timer and the gauges show the last reading. Every node with PostgreSQL reads the same
 * rows: dashboards take the max across nodes. Label values are statuses and consumer names, both fixed sets.
 */
public final class StateGauges {
  private static final Logger LOG = LoggerFactory.getLogger(StateGauges.class);
  /** Often enough for a live console and a one-minute alert; each reading is two grouped queries. */
  static final long REFRESH_MS = 5_000;

  private final Vertx vertx;
  private final MeterRegistry registry;
  private final PaymentStore payments;
  private final OutboxRelay relay;
  private final Map<PaymentStatus, AtomicLong> byStatus = new ConcurrentHashMap<>();
  private final Map<String, long[]> consumers = new ConcurrentHashMap<>();
  private final AtomicReference<Map<PaymentStatus, Long>> lastPayments = new AtomicReference<>(Map.of());
  private long timer = -1;

  /** @param payments null without the payments table's reader; @param relay null on nodes without a relay */
  public StateGauges(Vertx vertx, MeterRegistry registry, PaymentStore payments, OutboxRelay relay) {
    this.vertx = vertx;
    this.registry = registry;
    this.payments = payments;
    this.relay = relay;
    if (payments != null) {
      for (PaymentStatus s : PaymentStatus.values()) {
        AtomicLong v = new AtomicLong();
        byStatus.put(s, v);
        Gauge.builder("ledgerline.payments", v, AtomicLong::get).description("payments by status")
            .tag("status", s.wireName()).register(registry);
      }
    }
  }

  public StateGauges start() {
    refresh();
    timer = vertx.setPeriodic(REFRESH_MS, id -> refresh());
    return this;
  }

  public void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  /** The last reading of payments by status (empty before the first). */
  public Map<PaymentStatus, Long> payments() {
    return lastPayments.get();
  }

  Future<Void> refresh() {
    Future<Void> p = payments == null ? Future.succeededFuture() : payments.countByStatus().map(counts -> {
      counts.forEach((s, n) -> byStatus.get(s).set(n));
      lastPayments.set(java.util.Collections.unmodifiableMap(new java.util.EnumMap<>(counts)));
      return (Void) null;
    });
    Future<Void> e = relay == null ? Future.succeededFuture() : relay.lag().map(lags -> {
      for (ConsumerLag lag : lags) {
        long[] v = consumers.computeIfAbsent(lag.consumer(), this::register);
        v[0] = lag.events();
        v[1] = lag.oldest().toMillis();
        v[2] = lag.parked();
      }
      return (Void) null;
    });
    return Future.join(p, e).<Void>mapEmpty().onFailure(err -> LOG.debug("state gauges not read: {}", err.getMessage()));
  }

  private long[] register(String consumer) {
    long[] v = new long[3];
    Gauge.builder("ledgerline.events.undelivered", v, a -> a[0]).description("committed events not yet delivered")
        .tag("consumer", consumer).register(registry);
    Gauge.builder("ledgerline.events.lag.seconds", v, a -> a[1] / 1000.0)
        .description("age of the oldest undelivered event").tag("consumer", consumer).register(registry);
    Gauge.builder("ledgerline.events.parked", v, a -> a[2]).description("events parked after max-attempts")
        .tag("consumer", consumer).register(registry);
    return v;
  }
}
