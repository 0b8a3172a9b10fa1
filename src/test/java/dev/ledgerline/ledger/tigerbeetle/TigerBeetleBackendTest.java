package dev.ledgerline.ledger.tigerbeetle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.LedgerTimeoutException;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Node;
import dev.ledgerline.node.TestNodes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The TigerBeetle backend selected by configuration alone, pointed at an address where no replica listens. The
 * real client then retries forever; the ledger's own deadline turns that into "timeout, outcome unknown" with the
 * ids, the health check reports the stuck backend, and the node still stops.
 */
class TigerBeetleBackendTest {

  @Test
  void configurationSelectsTigerBeetleAndAnUnreachableClusterGivesOutcomeUnknown() throws Exception {
    int mgmt = TestNodes.freePort();
    Node node = TestNodes.start(Map.of("node.roles", "ledger", "management.port", String.valueOf(mgmt),
        "ledger.backend", "tigerbeetle", "ledger.tigerbeetle.addresses", "127.0.0.1:" + TestNodes.freePort(),
        "ledger.tigerbeetle.cluster-id", "340282366920938463463374607431768211455",
        "ledger.request-timeout", "300ms", "node.shutdown-timeout", "1s"));
    try {
      var ready = TestNodes.get(node.vertx(), mgmt, "/health/ready").getValue();
      assertThat(TestNodes.check(ready, "role.ledger").getJsonObject("data").getString("backend"))
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
      TestNodes.await(Duration.ofSeconds(10), () -> TestNodes.get(node.vertx(), mgmt, "/health/ready").getKey() != 200);
    } finally {
      node.stop().get(60, TimeUnit.SECONDS);
    }
  }
}
