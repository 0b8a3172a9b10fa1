package dev.ledgerline.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Counts webhook deliveries by outcome ({@code ledgerline_webhook_deliveries_total}): what a sender of webhooks bumps
 * after each attempt. The outcome is the only label, so its values stay a fixed set whoever the receiver is.
 */
public final class WebhookDeliveries {
  /** How one delivery attempt ended. */
  public enum Outcome {
    /** The receiver answered 2xx. */
    DELIVERED,
    /** The receiver answered otherwise, or could not be reached; the delivery will be tried again. */
    FAILED,
    /** Given up: the event is parked. */
    PARKED;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);

  /** Registers every outcome up front, so dashboards and alerts see zeros rather than no series. */
  public WebhookDeliveries(MeterRegistry registry) {
    for (Outcome o : Outcome.values()) {
      counters.put(o, Counter.builder("ledgerline.webhook.deliveries").description("webhook delivery attempts")
          .tag("outcome", o.label()).register(registry));
    }
  }

  public void record(Outcome outcome) {
    counters.get(outcome).increment();
  }

  public long count(Outcome outcome) {
    return (long) counters.get(outcome).count();
  }
}
