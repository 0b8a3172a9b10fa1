package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.infra.temporal.TemporalService;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.temporal.testserver.TestServer;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code temporal.target: host:port} over real gRPC, against Temporal's test server bound to a port and started only
 * after the worker: the worker waits for it, then runs the workflows it is given.
 */
class TemporalClusterTargetTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void theWorkerStartsPollingWhenTheClusterComesUpAndEachPaymentRunsOnce() throws Exception {
    int port = FreePorts.next();
    TemporalService temporal = TemporalService.start(vertx, NodeExtension.configWith(Map.of(
            "temporal.target", "127.0.0.1:" + port, "temporal.rpc-timeout", "2s")).current().temporal(),
        "test", TransactionsApi.TASK_QUEUE, w -> w.registerWorkflowImplementationTypes(CountingPayment.class))
        .await();
    TestServer.PortBoundTestServer server = null;
    try {
      assertThat(temporal.polling()).isFalse();
      server = TestServer.createPortBoundServer(port, true);
      Poll.until(Duration.ofSeconds(30), "the worker polls", temporal::polling);

      assertThat(temporal.blocking(() -> PaymentStarts.start(temporal.client(), "pay-c1")).await())
          .isEqualTo(TransactionsApi.STARTED);
      assertThat(temporal.blocking(() -> PaymentStarts.start(temporal.client(), "pay-c1")).await())
          .isEqualTo(TransactionsApi.ALREADY_STARTED);
      temporal.blocking(() -> {
        temporal.client().newUntypedWorkflowStub(TransactionsApi.workflowId("pay-c1")).getResult(Void.class);
        return null;
      }).await();
      assertThat(temporal.blocking(() -> PaymentStarts.start(temporal.client(), "pay-c1")).await())
          .as("a completed run is not started again").isEqualTo(TransactionsApi.ALREADY_STARTED);
      assertThat(CountingPayment.RUNS.get("pay-c1").get()).isEqualTo(1);
    } finally {
      temporal.stop().await();
      if (server != null) server.close();
    }
  }
}
