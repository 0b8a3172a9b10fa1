package dev.ledgerline.transactions;

import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.infra.temporal.TemporalService;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.roles.RoleVerticle;
import io.temporal.worker.Worker;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The transactions role: runs this node's Temporal worker on {@link TransactionsApi#TASK_QUEUE} and answers
 * {@link TransactionsApi#START_PAYMENT}. The payment saga's workflow and activities are registered on the worker by
 * {@code workflows}.
 */
public final class TransactionsVerticle extends RoleVerticle {
  private final Consumer<Worker> workflows;
  private TemporalService temporal;
  private MessageConsumer<String> starts;

  public TransactionsVerticle(NodeContext node) {
    this(node, worker -> { });
  }

  /** With {@code workflows} adding the implementations the worker runs (tests register their own). */
  public TransactionsVerticle(NodeContext node, Consumer<Worker> workflows) {
    super(node);
    this.workflows = workflows;
  }

  @Override
  public Role role() {
    return Role.TRANSACTIONS;
  }

  @Override
  protected Future<?> startRole() {
    return TemporalService.start(vertx, node.config().temporal(), node.nodeId(), TransactionsApi.TASK_QUEUE, workflows)
        .compose(t -> {
          temporal = t;
          starts = PaymentStarts.register(vertx, t);
          return starts.completion();
        })
        .recover(err -> temporal == null ? Future.failedFuture(err)
            : temporal.stop().transform(x -> Future.failedFuture(err)));
  }

  @Override
  protected Future<?> stopRole() {
    Future<Void> unregistered = starts == null ? Future.succeededFuture() : starts.unregister();
    // Two waits (running tasks, then the connection) that together stay within the node's shutdown timeout.
    Duration grace = node.config().node().shutdownTimeout().dividedBy(3);
    return unregistered.eventually(() -> temporal == null ? Future.succeededFuture() : temporal.stop(grace));
  }

  @Override
  public Future<JsonObject> health() {
    return super.health().map(h -> temporal == null ? h : h.put("temporal", new JsonObject()
        .put("target", temporal.target()).put("namespace", temporal.namespace())
        .put("task-queue", temporal.taskQueue()).put("polling", temporal.polling())));
  }
}
