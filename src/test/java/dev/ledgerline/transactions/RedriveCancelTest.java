package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.infra.temporal.TemporalService;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.PostgresExtension;
import dev.ledgerline.transactions.saga.PaymentSagaState;
import dev.ledgerline.transactions.saga.ProviderTransfer;
import dev.ledgerline.transactions.saga.ResolveAction;
import io.temporal.workflow.Workflow;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A re-drive that finds a payment's run still going (as on a Temporal cluster after a restart) signals the cancel the
 * row holds, which that run may never have heard; a run whose row holds none is left alone.
 */
class RedriveCancelTest {
  @RegisterExtension
  static final PostgresExtension postgres = new PostgresExtension();

  /** A run that waits until it is cancelled, then ends. */
  public static final class AwaitsCancel implements PaymentWorkflow {
    private boolean cancelled;

    @Override
    public void process(String paymentId) {
      Workflow.await(() -> cancelled);
    }

    @Override
    public void settlementUpdated(ProviderTransfer update) {}

    @Override
    public void cancel() {
      cancelled = true;
    }

    @Override
    public void resolve(ResolveAction action, String reason) {}

    @Override
    public PaymentSagaState state() {
      return null;
    }
  }

  @Test
  void aRunningSagaIsToldOfTheCancelItsRowHolds() throws Exception {
    PaymentStore store = new PaymentStore(postgres.pool(), new EventPublisher(EventTypes.KNOWN, 65_536));
    NewPayment order = new NewPayment("alice", "1001", "250", 7, 1, "plaid", "link-1", "rent", new JsonObject());
    String cancelled = store.create(order).await().id();
    String going = store.create(order).await().id();
    TemporalService temporal = TemporalService.start(postgres.vertx(), NodeExtension.configWith(Map.of(
            "temporal.target", "inprocess")).current().temporal(), "redrive-test", TransactionsApi.TASK_QUEUE,
        w -> w.registerWorkflowImplementationTypes(AwaitsCancel.class)).await();
    try {
      assertThat(temporal.blocking(() -> PaymentStarts.start(temporal.client(), cancelled)).await())
          .isEqualTo(TransactionsApi.STARTED);
      assertThat(temporal.blocking(() -> PaymentStarts.start(temporal.client(), going)).await())
          .isEqualTo(TransactionsApi.STARTED);
      // The cancel was recorded, and its signal never got through (a gateway with no transactions node to ask).
      postgres.pool().preparedQuery("UPDATE payments SET cancel_requested = true WHERE id = $1::uuid")
          .execute(Tuple.of(cancelled)).await();

      assertThat(PaymentStarts.redrive(temporal, store, cancelled).await())
          .isEqualTo(TransactionsApi.ALREADY_STARTED + "; its recorded cancel signalled");
      assertThat(PaymentStarts.redrive(temporal, store, going).await()).isEqualTo(TransactionsApi.ALREADY_STARTED);

      // The run that heard the cancel ends; the other still waits.
      temporal.blocking(() -> {
        temporal.client().newUntypedWorkflowStub(TransactionsApi.workflowId(cancelled)).getResult(30,
            TimeUnit.SECONDS, Void.class);
        return null;
      }).await();
      assertThat(temporal.blocking(() -> temporal.client().newUntypedWorkflowStub(TransactionsApi.workflowId(going))
          .describe().getStatus().name()).await()).isEqualTo("WORKFLOW_EXECUTION_STATUS_RUNNING");
    } finally {
      temporal.stop().await();
    }
  }
}
