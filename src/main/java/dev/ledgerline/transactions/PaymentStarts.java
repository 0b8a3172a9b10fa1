package dev.ledgerline.transactions;

import dev.ledgerline.infra.temporal.TemporalService;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts payment workflows on a transactions node, for {@link TransactionsApi#START_PAYMENT} requests.
 *
 * <p>The start is idempotent by workflow id. {@code REJECT_DUPLICATE}: a payment id gets one workflow run for as long
 * as Temporal keeps its history, whether that run is still going, completed or failed. A redelivered
 * {@code transaction.created} must never run a saga again, and a failed run is for the saga's own recovery and the
 * operator (resolve, re-drive), not for a stale event to restart. Temporal's answer "already started" is therefore
 * success: the workflow the event asks for exists.
 */
public final class PaymentStarts {
  private static final Logger LOG = LoggerFactory.getLogger(PaymentStarts.class);

  private PaymentStarts() {}

  /** Answers start requests on the cluster's event bus, starting workflows through {@code temporal}. */
  public static MessageConsumer<String> register(Vertx vertx, TemporalService temporal) {
    return vertx.eventBus().<String>consumer(TransactionsApi.START_PAYMENT, message -> {
      String paymentId = message.body();
      if (paymentId == null || !TransactionsApi.ID.matcher(paymentId).matches()) {
        message.fail(400, "not a payment id");
        return;
      }
      temporal.blocking(() -> start(temporal.client(), paymentId)).onComplete(ar -> {
        if (ar.succeeded()) {
          message.reply(ar.result());
        } else {
          LOG.warn("starting workflow {} failed: {}", TransactionsApi.workflowId(paymentId), ar.cause().toString());
          message.fail(503, "starting workflow " + TransactionsApi.workflowId(paymentId) + " failed: "
              + ar.cause().getMessage());
        }
      });
    });
  }

  /** Starts {@code transaction-<id>}; blocking. */
  static String start(WorkflowClient client, String paymentId) {
    WorkflowOptions options = WorkflowOptions.newBuilder()
        .setWorkflowId(TransactionsApi.workflowId(paymentId))
        .setTaskQueue(TransactionsApi.TASK_QUEUE)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
        .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL)
        .build();
    PaymentWorkflow workflow = client.newWorkflowStub(PaymentWorkflow.class, options);
    try {
      WorkflowClient.start(workflow::process, paymentId);
      return TransactionsApi.STARTED;
    } catch (WorkflowExecutionAlreadyStarted e) {
      return TransactionsApi.ALREADY_STARTED;
    }
  }
}
