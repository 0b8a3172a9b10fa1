package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.testing.NodeExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code temporal.*} and {@code transactions.*} typed from configuration. */
class TemporalConfigTest {

  @Test
  void defaultsAreTheInProcessServerWithProductionTuning() {
    LedgerlineConfig config = NodeExtension.configWith(Map.of()).current();
    assertThat(config.temporal()).isEqualTo(new LedgerlineConfig.Temporal("inprocess", "default",
        Duration.ofSeconds(10), 4, new LedgerlineConfig.TemporalTls(false, "", "", "", ""),
        new LedgerlineConfig.TemporalWorker(200, 200, 200, 2, 5, 600, 600)));
    assertThat(config.temporal().inProcess()).isTrue();
    assertThat(config.transactions().cacheTtl()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void aClusterTargetWithTlsIsTyped() {
    LedgerlineConfig.Temporal t = NodeExtension.configWith(Map.of("temporal.target", "temporal.example.org:7233",
        "temporal.namespace", "payments", "temporal.tls.enabled", "true", "temporal.tls.trust", "ca.pem",
        "temporal.tls.server-name", "frontend.example.org", "temporal.worker.activities", "32")).current().temporal();
    assertThat(t.inProcess()).isFalse();
    assertThat(t.target()).isEqualTo("temporal.example.org:7233");
    assertThat(t.namespace()).isEqualTo("payments");
    assertThat(t.tls()).isEqualTo(new LedgerlineConfig.TemporalTls(true, "", "", "ca.pem", "frontend.example.org"));
    assertThat(t.worker().activities()).isEqualTo(32);
    assertThat(NodeExtension.configWith(Map.of("temporal.target", "[::1]:7233")).current().temporal().target())
        .isEqualTo("[::1]:7233");
  }

  @ParameterizedTest
  @CsvSource({
      "temporal.target, localhost",
      "temporal.target, http://temporal:7233",
      "temporal.namespace, ''",
      "temporal.worker.workflow-pollers, 1",
      "temporal.client-threads, 0",
      "transactions.cache-ttl, 0s",
  })
  void badValuesNameTheirKey(String key, String value) {
    assertThatThrownBy(() -> NodeExtension.configWith(Map.of(key, value)))
        .isInstanceOf(ConfigException.class).hasMessageContaining(key);
  }
}
