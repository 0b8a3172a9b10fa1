package dev.ledgerline.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.testing.NodeExtension;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@code events.*} typed from configuration, and the UUIDv7 event ids. */
class EventsConfigTest {

  @Test
  void defaultsAndOverridesAreTyped() {
    LedgerlineConfig.Events defaults = NodeExtension.configWith(Map.of()).current().events();
    assertThat(defaults).isEqualTo(new LedgerlineConfig.Events(65536, 10, Duration.ofHours(24), Duration.ofSeconds(1),
        500, Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(30), 2_000_000_000));
    LedgerlineConfig.Events set = NodeExtension.configWith(Map.of("events.max-attempts", "3", "events.backoff.initial", "5ms",
        "events.retention", "1h")).current().events();
    assertThat(set.maxAttempts()).isEqualTo(3);
    assertThat(set.backoffInitial()).isEqualTo(Duration.ofMillis(5));
    assertThat(set.retention()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void outOfRangeValuesNameTheirKey() {
    assertThatThrownBy(() -> NodeExtension.configWith(Map.of("events.max-attempts", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("events.max-attempts");
    assertThatThrownBy(() -> NodeExtension.configWith(Map.of("events.ledger", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("events.ledger");
  }

  @Test
  void eventIdsAreVersion7AndIncreaseWithinAProcess() {
    UUID previous = Uuid7.next();
    for (int i = 0; i < 10_000; i++) {
      UUID next = Uuid7.next();
      assertThat(next.version()).isEqualTo(7);
      assertThat(next.variant()).isEqualTo(2);
      // Unsigned byte order, the order of the text form and of PostgreSQL's uuid type.
      assertThat(next.toString()).isGreaterThan(previous.toString());
      previous = next;
    }
  }
}
