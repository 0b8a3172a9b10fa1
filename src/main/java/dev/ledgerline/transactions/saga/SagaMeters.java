package dev.ledgerline.transactions.saga;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The saga's meters, fed by each recorded state change: changes by status, sagas that began compensating, and each
 * step's duration (from the payment's previous change to this one, both on the workflow's clock, so a replay or a
 * retried record measures the same). Labels are the status and the step name, both fixed sets; never a payment id.
 */
final class SagaMeters {
  /** Payments whose last change time is kept; beyond it the oldest is forgotten (its next step goes unmeasured). */
  private static final int TRACKED = 10_000;

  private final MeterRegistry registry;
  private final Map<String, Counter> transitions = new ConcurrentHashMap<>();
  private final Map<String, Timer> steps = new ConcurrentHashMap<>();
  private final Counter compensations;
  private final Map<String, Long> lastChange = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > TRACKED;
    }
  };

  SagaMeters(MeterRegistry registry) {
    this.registry = registry;
    this.compensations = Counter.builder("ledgerline.saga.compensations")
        .description("payment sagas that began compensating").register(registry);
    for (PaymentStatus s : PaymentStatus.values()) transition(s);
  }

  private Counter transition(PaymentStatus status) {
    return transitions.computeIfAbsent(status.wireName(), s -> Counter.builder("ledgerline.saga.transitions")
        .description("recorded payment state changes by the status they led to").tag("status", s).register(registry));
  }

  void recorded(PaymentUpdate update) {
    transition(update.status()).increment();
    if ("CompensationStarted".equals(update.event())) {
      compensations.increment();
    }
    Long previous;
    synchronized (lastChange) {
      previous = update.status().terminal() ? lastChange.remove(update.paymentId())
          : lastChange.put(update.paymentId(), update.atMillis());
    }
    if (update.step() != null && previous != null && update.atMillis() >= previous) {
      steps.computeIfAbsent(update.step(), s -> Timer.builder("ledgerline.saga.step.duration")
              .description("time a saga step or compensation took, from the previous state change")
              .tag("step", s).publishPercentileHistogram().register(registry))
          .record(Duration.ofMillis(update.atMillis() - previous));
    }
  }
}
