package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.infra.temporal.TemporalService;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.Vertx;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code temporal.tls.*} is read at start: good PEM files connect (lazily), bad ones stop the start with a reason. */
class TemporalTlsTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static String pem(String name) {
    try {
      return Path.of(Objects.requireNonNull(TemporalTlsTest.class.getResource("/cluster-tls/" + name)).toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static LedgerlineConfig.Temporal settings(Map<String, String> tls) {
    Map<String, String> keys = new HashMap<>(tls);
    keys.put("temporal.target", "127.0.0.1:" + FreePorts.next());
    keys.put("temporal.rpc-timeout", "1s");
    keys.put("temporal.tls.enabled", "true");
    return NodeExtension.configWith(keys).current().temporal();
  }

  @Test
  void mutualTlsFilesAreLoadedAndTheWorkerWaitsForTheCluster() {
    TemporalService t = TemporalService.start(vertx, settings(Map.of("temporal.tls.trust", pem("cluster-ca.pem"),
        "temporal.tls.cert", pem("node.pem"), "temporal.tls.key", pem("node.key"),
        "temporal.tls.server-name", "temporal.internal")), "test", TransactionsApi.TASK_QUEUE, w -> { }).await();
    try {
      assertThat(t.polling()).isFalse();
    } finally {
      t.stop().await();
    }
  }

  @Test
  void aCertificateWithoutItsKeyOrAMissingFileStopsTheStart() {
    assertThatThrownBy(() -> TemporalService.start(vertx, settings(Map.of("temporal.tls.cert", pem("node.pem"))),
        "test", TransactionsApi.TASK_QUEUE, w -> { }).await()).hasMessageContaining("temporal.tls.key");
    assertThatThrownBy(() -> TemporalService.start(vertx, settings(Map.of("temporal.tls.trust", "/nonexistent.pem")),
        "test", TransactionsApi.TASK_QUEUE, w -> { }).await()).hasMessageContaining("nonexistent.pem");
  }
}
