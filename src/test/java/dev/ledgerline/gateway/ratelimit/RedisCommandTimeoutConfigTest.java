package dev.ledgerline.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.revocation.RevocationStore;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code redis.command-timeout} bounds both Redis users on the request path. */
class RedisCommandTimeoutConfigTest {
  private static LedgerlineConfig config(Map<String, String> sets) {
    return ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), sets)).current();
  }

  @Test
  void theDefaultIsAQuarterSecondForBoth() {
    LedgerlineConfig cfg = config(Map.of());
    assertThat(RateLimiter.Options.from(cfg).commandTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(RevocationStore.Options.from(cfg).commandTimeout()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void aConfiguredValueReachesTheRateLimiterAndTheRevocationStore() {
    LedgerlineConfig cfg = config(Map.of("redis.command-timeout", "3s"));
    assertThat(RateLimiter.Options.from(cfg).commandTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(RevocationStore.Options.from(cfg).commandTimeout()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void zeroIsRefusedAtLoad() {
    assertThatThrownBy(() -> config(Map.of("redis.command-timeout", "0ms")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("redis.command-timeout");
  }
}
