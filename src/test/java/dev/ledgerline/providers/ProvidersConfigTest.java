package dev.ledgerline.providers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.testing.Futures;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code providers.*}: defaults, where the Plaid secret comes from, and what is refused. */
class ProvidersConfigTest {
  private static LedgerlineConfig config(Map<String, String> sets) {
    return ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), sets)).current();
  }

  @Test
  void defaultsAreTheSeeds() {
    LedgerlineConfig.Providers p = config(Map.of()).providers();
    assertThat(p.embedded()).isTrue();
    assertThat(p.failureThreshold()).isEqualTo(5);
    assertThat(p.resetTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(p.halfOpenSuccesses()).isEqualTo(3);
    assertThat(p.sandboxPort()).isEqualTo(7070);
    assertThat(p.sandboxSettleAfter()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void theSecretComesFromConfigEnvironmentOrAFileButNeverShows(@TempDir Path dir) throws Exception {
    LedgerlineConfig.Providers inline = config(Map.of("providers.plaid.secret", "s3cr3t-value")).providers();
    assertThat(Providers.secret(inline)).isEqualTo("s3cr3t-value");
    assertThat(inline.toString()).doesNotContain("s3cr3t-value");
    LedgerlineConfig.Providers env = ConfigService.load(new ConfigService.Source(null, Map.of(),
        Map.of("LEDGERLINE_PROVIDERS_PLAID_SECRET", "from-env"), Map.of())).current().providers();
    assertThat(Providers.secret(env)).isEqualTo("from-env");
    Path file = Files.writeString(dir.resolve("plaid-secret"), "from-file\n");
    assertThat(Providers.secret(config(Map.of("providers.plaid.secret-file", file.toString())).providers()))
        .isEqualTo("from-file");
    assertThatThrownBy(() -> Providers.secret(config(Map.of("providers.plaid.secret", "a",
        "providers.plaid.secret-file", file.toString())).providers())).isInstanceOf(ProviderConfigException.class)
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> Providers.secret(config(Map.of("providers.plaid.secret-file",
        dir.resolve("missing").toString())).providers())).isInstanceOf(ProviderConfigException.class);
  }

  @Test
  void aRealPlaidNeedsCredentials() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Throwable e = Futures.failureOf(Providers.start(vertx, config(Map.of("providers.plaid.base-url",
          "https://production.plaid.com")), new SimpleMeterRegistry(), null, "n1"));
      assertThat(e).isInstanceOf(ProviderConfigException.class).hasMessageContaining("providers.plaid.client-id");
      assertThatThrownBy(() -> config(Map.of("providers.plaid.base-url", "ftp://x")))
          .hasMessageContaining("providers.plaid.base-url");
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void theEmbeddedSandboxPostsToThisNodesWebhookRouteOnlyWhenNothingElseIsSaid() {
    assertThat(Providers.sandboxWebhookUrl(config(Map.of("node.roles", "gateway,transactions", "gateway.port",
        "8443")))).isEqualTo("http://127.0.0.1:8443/v1/provider-webhooks/plaid");
    assertThat(Providers.sandboxWebhookUrl(config(Map.of("node.roles", "gateway", "gateway.port", "8443",
        "providers.sandbox.webhook-url", "https://hooks.example/plaid")))).isEqualTo("https://hooks.example/plaid");
    // No gateway on this node: nowhere (another node's address is not this node's to guess).
    assertThat(Providers.sandboxWebhookUrl(config(Map.of("node.roles", "transactions")))).isEmpty();
  }
}
