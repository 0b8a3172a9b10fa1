package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.ConfigResolver;
import dev.ledgerline.config.LedgerlineConfig;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code payments.*}: production defaults, and a hold timeout the ledger cannot take is refused by name. */
class PaymentsConfigTest {
  private final ConfigResolver resolver = new ConfigResolver();

  @Test
  void theDefaultsAreTheSagasDefaults() {
    LedgerlineConfig c = resolver.resolve(new JsonObject(), Map.of(), Map.of(), Map.of());
    assertThat(SagaSettings.from(c.payments())).isEqualTo(SagaSettings.DEFAULTS);
  }

  @Test
  void keysAreRead() {
    LedgerlineConfig c = resolver.resolve(new JsonObject(), Map.of(), Map.of("LEDGERLINE_PAYMENTS_HOLD_TIMEOUT", "30m"),
        Map.of("payments.external-deadline", "2m"));
    assertThat(c.payments().holdTimeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.payments().externalDeadline()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void aHoldTimeoutBelowASecondIsRefused() {
    // The ledger's pending timeout is whole seconds.
    assertThatThrownBy(() -> resolver.resolve(new JsonObject(), Map.of(), Map.of(),
        Map.of("payments.hold-timeout", "500ms")))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("payments.hold-timeout"));
  }
}
