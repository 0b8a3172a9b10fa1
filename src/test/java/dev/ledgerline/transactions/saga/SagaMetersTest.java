package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The saga's meters from recorded state changes: counts by status, compensations, and step durations. */
class SagaMetersTest {
  private static PaymentUpdate update(String payment, String event, PaymentStatus status, String step, long at) {
    return new PaymentUpdate(payment, payment + "-" + event, event, status, step, at, Map.of());
  }

  @Test
  void aStepLastsFromThePreviousChangeOfItsPayment() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SagaMeters meters = new SagaMeters(registry);
    meters.recorded(update("p1", "PaymentStarted", PaymentStatus.PENDING, null, 1_000));
    meters.recorded(update("p2", "PaymentStarted", PaymentStatus.PENDING, null, 1_100));
    meters.recorded(update("p1", "FundsReserved", PaymentStatus.RESERVED, "reserve-funds", 1_250));
    meters.recorded(update("p1", "PaymentCompleted", PaymentStatus.COMPLETED, "complete", 1_300));
    var reserve = registry.find("ledgerline.saga.step.duration").tag("step", "reserve-funds").timer();
    assertThat(reserve.count()).isEqualTo(1);
    assertThat(reserve.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250.0);
    assertThat(registry.find("ledgerline.saga.step.duration").tag("step", "complete").timer().count()).isEqualTo(1);
    assertThat(registry.find("ledgerline.saga.transitions").tag("status", "pending").counter().count()).isEqualTo(2);
    // Every status has its series from the start, so dashboards see zeros rather than gaps.
    assertThat(registry.find("ledgerline.saga.transitions").counters()).hasSize(PaymentStatus.values().length);
  }

  @Test
  void aTerminalChangeForgetsThePaymentAndCompensationsAreCounted() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SagaMeters meters = new SagaMeters(registry);
    meters.recorded(update("p1", "PaymentStarted", PaymentStatus.PENDING, null, 1_000));
    meters.recorded(update("p1", "CompensationStarted", PaymentStatus.COMPENSATING, null, 2_000));
    meters.recorded(update("p1", "PaymentCompensated", PaymentStatus.COMPENSATED, null, 3_000));
    // A later change of the same payment (a re-driven run) has no start to measure from.
    meters.recorded(update("p1", "CompensationDone", PaymentStatus.COMPENSATING, "void-reserve", 4_000));
    assertThat(registry.find("ledgerline.saga.compensations").counter().count()).isEqualTo(1.0);
    assertThat(registry.find("ledgerline.saga.step.duration").timers()).isEmpty();
  }
}
