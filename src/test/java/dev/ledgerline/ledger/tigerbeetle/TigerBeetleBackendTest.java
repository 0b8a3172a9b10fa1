package dev.ledgerline.ledger.tigerbeetle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.LedgerTimeoutException;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TigerBeetle backend selected by configuration alone, pointed at an address where no replica listens. The
 * real client then retries forever; the ledger's own deadline turns that into "timeout, outcome unknown" with the
 * ids, the health check reports the stuck backend, and the node still stops.
 */
class TigerBeetleBackendTest {
  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();

  @Test
  void configurationSelectsTigerBeetleAndAnUnreachableClusterGivesOutcomeUnknown() throws Exception {
    int mgmt = FreePorts.next();
    Node node = nodes.start(Map.of("node.roles", "ledger", "management.port", String.valueOf(mgmt),
        "ledger.backend", "tigerbeetle", "ledger.tigerbeetle.addresses", "127.0.0.1:" + FreePorts.next(),
        "ledger.tigerbeetle.cluster-id", "340282366920938463463374607431768211455",
        "ledger.request-timeout", "300ms", "node.shutdown-timeout", "1s"));
    try {
      var ready = Health.ready(node.vertx(), mgmt).getValue();
      assertThat(Health.check(ready, "role.ledger").getJsonObject("data").getString("backend"))
          .isEqualTo("tigerbeetle");

      LedgerClient client = new LedgerClient(node.vertx(), Duration.ofMillis(300));
      Transfer t = Transfer.of(UInt128.of(7, 7), UInt128.ONE, UInt128.of(2), UInt128.ONE, 1, 1, 0);
      Throwable err = null;
      try {
        client.createTransfers(List.of(t)).timeout(20, TimeUnit.SECONDS).await();
      } catch (Throwable e) {
        err = e;
      }
      assertThat(err).isInstanceOf(LedgerTimeoutException.class).hasMessageContaining("outcome unknown");
      assertThat(((LedgerTimeoutException) err).ids()).containsExactly(t.id());
      // The batch is still in flight (the client never gives up): the ledger reports itself not ready.
      Poll.until(Duration.ofSeconds(10), "not ready", () -> Health.ready(node.vertx(), mgmt).getKey() != 200);
    } finally {
      node.stop().get(60, TimeUnit.SECONDS); // the stop under test: bounded
    }
  }

  /** Several TigerBeetle ledger nodes may share a cluster; an embedded one may not join them (two ledgers). */
  @Test
  void anyNumberOfTigerBeetleLedgerNodesMayRunButNotBesideAnEmbeddedOne(@TempDir Path dir) {
    int[] hz = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
    String members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1] + ",127.0.0.1:" + hz[2];
    String name = "tb-test-" + System.nanoTime();
    String tb = "127.0.0.1:" + FreePorts.next();
    List<Node> started = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      started.add(nodes.start(clustered(name, members, hz[i], "t" + i, Map.of("ledger.backend", "tigerbeetle",
          "ledger.tigerbeetle.addresses", tb))));
    }
    assertThat(started).hasSize(2);
    assertThatThrownBy(() -> nodes.start(clustered(name, members, hz[2], "e", Map.of(
        "ledger.engine.data-dir", dir.toString()))))
        .hasMessageContaining("exactly one ledger node per cluster")
        .hasMessageContaining("ledger.backend=tigerbeetle");
  }

  private static Map<String, String> clustered(String name, String members, int port, String id,
      Map<String, String> extra) {
    Map<String, String> m = new HashMap<>(Map.of("cluster.enabled", "true", "cluster.name", name, "cluster.port",
        String.valueOf(port), "cluster.members", members, "node.id", id, "node.roles", "ledger",
        "node.shutdown-timeout", "1s"));
    m.putAll(extra);
    return m;
  }
}
