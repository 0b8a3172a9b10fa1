package dev.ledgerline.transactions.saga;

import dev.ledgerline.config.LedgerlineConfig;
import java.time.Duration;

/**
 * The saga's timing, read from the configuration by the activity that loads the payment, so the workflow gets it from
 * its history (deterministic) and a configuration change applies to payments started after it, and to runs re-driven
 * after a restart. A re-driven run finds the holds an earlier run made under another hold timeout and takes them as
 * they are (see {@code LedgerSagaActivitiesImpl.holdResult}).
 *
 * @param holdTimeout {@code timeout} of both pending transfers: a hold releases itself even if everything else is lost
 * @param externalDeadline how long the external step may retry (breaker open, 5xx, timeouts) and wait for settlement
 * @param settlementPoll how often the provider is asked when no webhook arrived
 * @param compensationRetry how long a compensation retries before the payment needs an operator
 */
public record SagaSettings(Duration holdTimeout, Duration externalDeadline, Duration settlementPoll,
    Duration compensationRetry) {

  public static final SagaSettings DEFAULTS = new SagaSettings(Duration.ofHours(1), Duration.ofMinutes(15),
      Duration.ofSeconds(5), Duration.ofMinutes(10));

  public static SagaSettings from(LedgerlineConfig.Payments p) {
    return new SagaSettings(p.holdTimeout(), p.externalDeadline(), p.settlementPoll(), p.compensationRetry());
  }

  public SagaSettings {
    if (holdTimeout.toSeconds() < 1 || holdTimeout.toSeconds() > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("hold timeout must be 1 s to 2^32-1 s (a u32 of seconds): " + holdTimeout);
    }
  }
}
