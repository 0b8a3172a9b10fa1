package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.ResultCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The batcher's meters: batch size, queue depth, in-flight time, events and results by code, refusals. Counters are
 * bumped once per batch (not per request) to keep the hot path cheap; meters are created up front or once per code.
 */
final class LedgerMetrics {
  private final MeterRegistry registry;
  private final OperationMeters accounts;
  private final OperationMeters transfers;
  private final Counter overloaded;
  private final Counter tooLarge;
  private final Counter timedOut;

  /** One create operation's meters; result counters are registered on first use. */
  private final class OperationMeters {
    final String op;
    final DistributionSummary batch;
    final Timer inFlight;
    final Counter events;
    final Counter[] results;

    OperationMeters(Operation<?, ?> operation) {
      op = operation.tbName();
      batch = DistributionSummary.builder("ledger.batch.events").description("events per backend batch")
          .tag("operation", op).publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(8190.0)
          .register(registry);
      inFlight = Timer.builder("ledger.batch.in_flight").description("time from submitting a batch to its results")
          .tag("operation", op).publishPercentileHistogram().register(registry);
      events = Counter.builder("ledger.events").description("events submitted to the backend")
          .tag("operation", op).register(registry);
      results = new Counter[operation.resultCodes().size()];
    }

    void result(ResultCode r, int count) {
      if (count == 0) return;
      Counter c = results[r.ordinal()];
      if (c == null) {
        c = results[r.ordinal()] = Counter.builder("ledger.results").description("event results by code")
            .tag("operation", op).tag("result", r.tbName()).register(registry);
      }
      c.increment(count);
    }
  }

  LedgerMetrics(MeterRegistry registry, Supplier<Number> queuedEvents, Supplier<Number> queuedRequests) {
    this.registry = registry;
    accounts = new OperationMeters(Operation.CREATE_ACCOUNTS);
    transfers = new OperationMeters(Operation.CREATE_TRANSFERS);
    Gauge.builder("ledger.queue.events", queuedEvents).description("events waiting for a batch").register(registry);
    Gauge.builder("ledger.queue.requests", queuedRequests).description("requests waiting for a batch")
        .register(registry);
    overloaded = refused("overloaded");
    tooLarge = refused("too_large");
    timedOut = refused("timeout");
  }

  /**
   * The embedded engine's meters: how long each group took to become durable, and whether the engine halted (a failed
   * fsync is never retried, so a halted ledger needs an operator: the alert {@code LedgerHalted} fires on it).
   */
  static void engine(MeterRegistry registry, dev.ledgerline.ledger.engine.LedgerEngine engine) {
    Timer sync = Timer.builder("ledger.engine.fsync").description("time for a group of batches to become durable")
        .publishPercentileHistogram().register(registry);
    engine.onSync(nanos -> sync.record(nanos, TimeUnit.NANOSECONDS));
    // A gauge stays bound to the object it was first registered with: a redeployed ledger replaces its engine's.
    registry.find("ledger.engine.halted").gauges().forEach(registry::remove);
    Gauge.builder("ledger.engine.halted", engine, e -> e.haltReason().isPresent() ? 1 : 0)
        .description("1 when the embedded engine has halted and refuses every request until restarted")
        .register(registry);
  }

  private Counter refused(String reason) {
    return Counter.builder("ledger.requests.refused").description("requests answered with an error by the batcher")
        .tag("reason", reason).register(registry);
  }

  private OperationMeters of(Operation<?, ?> op) {
    return op == Operation.CREATE_TRANSFERS ? transfers : accounts;
  }

  void batch(Operation<?, ?> op, int events, long inFlightNanos) {
    OperationMeters m = of(op);
    m.batch.record(events);
    m.inFlight.record(inFlightNanos, TimeUnit.NANOSECONDS);
    m.events.increment(events);
  }

  /** Counts a batch's results: its failures by code and the rest as ok. */
  void results(Operation<?, ?> op, List<? extends EventResult> failures, int events) {
    OperationMeters m = of(op);
    List<ResultCode> codes = op.resultCodes();
    m.result(codes.get(0), events - failures.size());
    if (failures.isEmpty()) return;
    int[] counts = new int[codes.size()];
    for (EventResult r : failures) counts[r.result().ordinal()]++;
    for (ResultCode r : codes) m.result(r, counts[r.ordinal()]);
  }

  void overloaded() {
    overloaded.increment();
  }

  void tooLarge() {
    tooLarge.increment();
  }

  void timedOut() {
    timedOut.increment();
  }
}
