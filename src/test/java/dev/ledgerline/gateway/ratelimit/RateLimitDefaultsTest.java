package dev.ledgerline.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.config.LedgerlineConfig.RateLimit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shipped rate limits: production defaults that bind (the seed's 100 burst and 10/s per subject and operation,
 * stricter for requests without a valid token, revocation and stream upgrades), and the benchmarks' own file.
 */
class RateLimitDefaultsTest {
  private static final List<String> ROUTES = List.of("transfers.create", "transfers.batch", "transfers.read",
      "accounts.create", "accounts.read", "accounts.query");
  private static final List<String> STRICT = List.of("unauthenticated", "auth.revoke", "stream.connect");

  private static LedgerlineConfig load(Path file) {
    return ConfigService.load(new ConfigService.Source(file, Map.of(), Map.of(), Map.of())).current();
  }

  @Test
  void builtInDefaultsLimitEveryRouteTo100BurstAnd10PerSecond() {
    LedgerlineConfig c = load(null);
    for (String op : ROUTES) {
      assertThat(c.gateway().rateLimit(op)).as(op).isEqualTo(new RateLimit(100, 10));
    }
    for (String op : STRICT) {
      RateLimit r = c.gateway().rateLimit(op);
      assertThat(r.capacity()).as(op).isLessThan(100);
      assertThat(r.refillPerSecond()).as(op).isLessThan(10);
    }
  }

  @Test
  void theShippedFileHasTheSameDefaults() {
    assertThat(load(Path.of("conf", "ledgerline.yaml")).gateway().rateLimits())
        .isEqualTo(load(null).gateway().rateLimits());
  }

  @Test
  void theBenchmarkFileLoadsAndItsLimitsDoNotBind() throws Exception {
    Path bench = Path.of("conf", "bench.yaml");
    assertThat(Files.readString(bench)).contains("scripts/ledgerline run --config conf/bench.yaml");
    LedgerlineConfig c = load(bench);
    for (String op : ROUTES) {
      assertThat(c.gateway().rateLimit(op).capacity()).as(op).isGreaterThanOrEqualTo(10_000);
      assertThat(c.gateway().rateLimit(op).refillPerSecond()).as(op).isGreaterThanOrEqualTo(10_000);
    }
    // Everything else is the node's default.
    assertThat(c.gateway().port()).isEqualTo(load(null).gateway().port());
  }
}
