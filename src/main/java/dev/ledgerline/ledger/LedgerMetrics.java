package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The batcher's meters: batch size, queue depth, in-flight time, events and results by code, refusals. Counters are
 * bumped once per batch (not per request) to keep the hot path cheap; meters are created up front or once per code.
 */
final class LedgerMetrics {
  private final MeterRegistry registry;
  private final DistributionSummary accountBatch;
  private final DistributionSummary transferBatch;
  private final Timer accountInFlight;
  private final Timer transferInFlight;
  private final Counter accountEvents;
  private final Counter transferEvents;
  private final Counter[] accountResults = new Counter[CreateAccountResult.values().length];
  private final Counter[] transferResults = new Counter[CreateTransferResult.values().length];
  private final Counter overloaded;
  private final Counter tooLarge;
  private final Counter timedOut;

  LedgerMetrics(MeterRegistry registry, Supplier<Number> queuedEvents, Supplier<Number> queuedRequests) {
    this.registry = registry;
    accountBatch = batch("create_accounts");
    transferBatch = batch("create_transfers");
    accountInFlight = inFlight("create_accounts");
    transferInFlight = inFlight("create_transfers");
    accountEvents = Counter.builder("ledger.events").description("events submitted to the backend")
        .tag("operation", "create_accounts").register(registry);
    transferEvents = Counter.builder("ledger.events").description("events submitted to the backend")
        .tag("operation", "create_transfers").register(registry);
    Gauge.builder("ledger.queue.events", queuedEvents).description("events waiting for a batch").register(registry);
    Gauge.builder("ledger.queue.requests", queuedRequests).description("requests waiting for a batch")
        .register(registry);
    overloaded = refused("overloaded");
    tooLarge = refused("too_large");
    timedOut = refused("timeout");
  }

  private DistributionSummary batch(String op) {
    return DistributionSummary.builder("ledger.batch.events").description("events per backend batch")
        .tag("operation", op).publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(8190.0)
        .register(registry);
  }

  private Timer inFlight(String op) {
    return Timer.builder("ledger.batch.in_flight").description("time from submitting a batch to its results")
        .tag("operation", op).publishPercentileHistogram().register(registry);
  }

  private Counter refused(String reason) {
    return Counter.builder("ledger.requests.refused").description("requests answered with an error by the batcher")
        .tag("reason", reason).register(registry);
  }

  void batch(boolean transfers, int events, long inFlightNanos) {
    (transfers ? transferBatch : accountBatch).record(events);
    (transfers ? transferInFlight : accountInFlight).record(inFlightNanos, TimeUnit.NANOSECONDS);
    (transfers ? transferEvents : accountEvents).increment(events);
  }

  void transferResult(CreateTransferResult r, int count) {
    if (count == 0) return;
    Counter c = transferResults[r.ordinal()];
    if (c == null) {
      c = transferResults[r.ordinal()] = Counter.builder("ledger.results").description("event results by code")
          .tag("operation", "create_transfers").tag("result", r.tbName()).register(registry);
    }
    c.increment(count);
  }

  void accountResult(CreateAccountResult r, int count) {
    if (count == 0) return;
    Counter c = accountResults[r.ordinal()];
    if (c == null) {
      c = accountResults[r.ordinal()] = Counter.builder("ledger.results").description("event results by code")
          .tag("operation", "create_accounts").tag("result", r.tbName()).register(registry);
    }
    c.increment(count);
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
