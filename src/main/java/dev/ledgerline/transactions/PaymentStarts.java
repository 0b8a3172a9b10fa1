package dev.ledgerline.transactions;

import dev.ledgerline.infra.temporal.TemporalService;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import dev.ledgerline.transactions.saga.ResolveAction;
import io.temporal.client.WorkflowNotFoundException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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

  /** How many started payment ids a node remembers, to answer a repeated start without asking Temporal. */
  static final int REMEMBERED_STARTS = 10_000;

  /**
   * Answers start requests on the cluster's event bus, starting workflows through {@code temporal}. A payment is
   * usually asked for twice (the gateway's early start right after the row is written, then the relay's delivery of
   * {@code transaction.created}): a workflow this node has seen started is answered "already started" at once, which
   * is what Temporal would answer ({@code REJECT_DUPLICATE}), without a gRPC call on the relay's serial path.
   */
  public static MessageConsumer<String> register(Vertx vertx, TemporalService temporal) {
    Set<String> started = Collections.synchronizedSet(Collections.newSetFromMap(
        new LinkedHashMap<String, Boolean>(256, 0.75f, false) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_STARTS;
          }
        }));
    return vertx.eventBus().<String>consumer(TransactionsApi.START_PAYMENT, message -> {
      String paymentId = message.body();
      if (paymentId == null || !TransactionsApi.ID.matcher(paymentId).matches()) {
        message.fail(400, "not a payment id");
        return;
      }
      if (started.contains(paymentId)) {
        message.reply(TransactionsApi.ALREADY_STARTED);
        return;
      }
      temporal.blocking(() -> start(temporal.client(), paymentId)).onComplete(ar -> {
        if (ar.succeeded()) {
          started.add(paymentId);
          message.reply(ar.result());
        } else {
          LOG.warn("starting workflow {} failed: {}", TransactionsApi.workflowId(paymentId), ar.cause().toString());
          message.fail(503, "starting workflow " + TransactionsApi.workflowId(paymentId) + " failed: "
              + ar.cause().getMessage());
        }
      });
    });
  }

  /**
   * Answers cancel and resolve requests by signalling {@code transaction-<id>}. A workflow that is not running fails
   * the request: the cancel stays recorded on the payment row for a re-drive, and a resolve must be sent again.
   */
  public static List<MessageConsumer<?>> registerSignals(Vertx vertx, TemporalService temporal) {
    MessageConsumer<String> cancel = vertx.eventBus().<String>consumer(TransactionsApi.CANCEL_PAYMENT, message -> {
      String paymentId = message.body();
      if (paymentId == null || !TransactionsApi.ID.matcher(paymentId).matches()) {
        message.fail(400, "not a payment id");
        return;
      }
      signal(message, temporal, () -> stub(temporal.client(), paymentId).cancel());
    });
    MessageConsumer<JsonObject> resolve = vertx.eventBus().<JsonObject>consumer(TransactionsApi.RESOLVE_PAYMENT,
        message -> {
          JsonObject body = message.body();
          String paymentId = body == null ? null : body.getString("id");
          ResolveAction action;
          try {
            action = ResolveAction.valueOf(String.valueOf(body == null ? null : body.getValue("action"))
                .toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            action = null;
          }
          if (paymentId == null || !TransactionsApi.ID.matcher(paymentId).matches() || action == null) {
            message.fail(400, "not a resolve request");
            return;
          }
          ResolveAction a = action;
          signal(message, temporal, () -> stub(temporal.client(), paymentId).resolve(a, body.getString("reason")));
        });
    return List.of(cancel, resolve);
  }

  private static void signal(Message<?> message, TemporalService temporal, Runnable send) {
    temporal.blocking(() -> {
      send.run();
      return TransactionsApi.SIGNALLED;
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(ar.result());
      } else {
        message.fail(ar.cause() instanceof WorkflowNotFoundException ? 404 : 503, String.valueOf(ar.cause()
            .getMessage()));
      }
    });
  }

  /**
   * Re-drives one unfinished payment: starts {@code transaction-<id>} again. A run that is already going (on a Temporal
   * cluster a restart does not end it) is left alone, unless the row holds a cancel that run may never have heard: the
   * gateway records the cancel, then signals, and a signal that could not be delivered then (no transactions node up,
   * Temporal unreachable) is sent now. A run reads the flag itself only when it starts; a repeated cancel is harmless.
   * Answers what was done.
   */
  public static Future<String> redrive(TemporalService temporal, PaymentStore payments, String paymentId) {
    return temporal.blocking(() -> start(temporal.client(), paymentId)).compose(started -> {
      if (!TransactionsApi.ALREADY_STARTED.equals(started)) return Future.succeededFuture(started);
      return payments.get(paymentId).compose(found -> found.isEmpty() || !found.get().cancelRequested()
          || found.get().status().terminal() ? Future.succeededFuture(started)
          : temporal.blocking(() -> {
            try {
              stub(temporal.client(), paymentId).cancel();
              return started + "; its recorded cancel signalled";
            } catch (WorkflowNotFoundException ended) {
              return started;
            }
          }));
    });
  }

  private static PaymentWorkflow stub(WorkflowClient client, String paymentId) {
    return client.newWorkflowStub(PaymentWorkflow.class, TransactionsApi.workflowId(paymentId));
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
