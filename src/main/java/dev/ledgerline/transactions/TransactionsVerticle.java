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
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transactions role: runs this node's Temporal worker on {@link TransactionsApi#TASK_QUEUE} and answers
 * {@link TransactionsApi#START_PAYMENT}. The payment saga's workflow and activities are registered on the worker by
 * {@code workflows}.
 *
 * <p>Once the worker polls, every payment that is not terminal is started again ({@code transaction-<id>}): the
 * in-process server forgets its workflows on a restart, and the payment row is the record. The run recognizes the
 * steps already done from ledger and provider state. On an external cluster the running workflow is found and left
 * alone (the start is refused as a duplicate).
 */
public final class TransactionsVerticle extends RoleVerticle {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionsVerticle.class);

  private final Consumer<Worker> workflows;
  private final PaymentStore redrive;
  private final dev.ledgerline.providers.PaymentProvider provider;
  private TemporalService temporal;
  private MessageConsumer<String> starts;
  private List<MessageConsumer<?>> signals = List.of();

  public TransactionsVerticle(NodeContext node) {
    this(node, worker -> { });
  }

  /** With {@code workflows} adding the implementations the worker runs (tests register their own); no re-drive. */
  public TransactionsVerticle(NodeContext node, Consumer<Worker> workflows) {
    this(node, workflows, null);
  }

  /** With {@code redrive}: the payments whose unfinished sagas are started again once the worker polls. */
  public TransactionsVerticle(NodeContext node, Consumer<Worker> workflows, PaymentStore redrive) {
    this(node, workflows, redrive, null);
  }

  /**
   * With {@code provider} too: the provider's settlement webhooks are synced here and signalled to the workflows
   * (see {@link ProviderSettlements}; needs {@code redrive}'s payment store).
   */
  public TransactionsVerticle(NodeContext node, Consumer<Worker> workflows, PaymentStore redrive,
      dev.ledgerline.providers.PaymentProvider provider) {
    super(node);
    this.workflows = workflows;
    this.redrive = redrive;
    this.provider = provider;
  }

  @Override
  public Role role() {
    return Role.TRANSACTIONS;
  }

  @Override
  protected Future<?> startRole() {
    var tracing = node.tracing();
    return TemporalService.start(vertx, node.config().temporal(), node.nodeId(), TransactionsApi.TASK_QUEUE, workflows,
            new TemporalService.Interceptors(tracing.temporalClientInterceptors(),
                tracing.temporalWorkerInterceptors()))
        .compose(t -> {
          temporal = t;
          starts = PaymentStarts.register(vertx, t);
          signals = PaymentStarts.registerSignals(vertx, t);
          if (provider != null && redrive != null) {
            List<MessageConsumer<?>> all = new java.util.ArrayList<>(signals);
            all.add(new ProviderSettlements(provider, redrive, t, node.registry()).register(vertx));
            signals = List.copyOf(all);
          }
          return Future.all(starts.completion(), Future.all(signals.stream().map(MessageConsumer::completion)
              .toList()));
        })
        .onSuccess(v -> redrive())
        .recover(err -> temporal == null ? Future.failedFuture(err)
            : temporal.stop().transform(x -> Future.failedFuture(err)));
  }

  /**
   * Starts {@code transaction-<id>} for every unfinished payment, one after the other (a restart with many of them
   * does not flood the server). A failure is logged and leaves the payment for the next start; it never stops the
   * role.
   */
  private void redrive() {
    if (redrive == null) return;
    redrive.unfinished().compose(ids -> {
      if (!ids.isEmpty()) LOG.info("re-driving {} unfinished payment(s)", ids.size());
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        chain = chain.compose(v -> PaymentStarts.redrive(temporal, redrive, id)
            .onSuccess(r -> LOG.debug("re-drive of payment {}: {}", id, r))
            .onFailure(e -> LOG.warn("re-drive of payment {} failed: {}", id, e.toString()))
            .<Void>mapEmpty().recover(e -> Future.succeededFuture()));
      }
      return chain;
    }).onFailure(e -> LOG.warn("re-drive: listing unfinished payments failed: {}", e.toString()));
  }

  @Override
  protected Future<?> stopRole() {
    Future<Void> unregistered = Future.all(starts == null ? Future.succeededFuture() : starts.unregister(),
        Future.all(signals.stream().map(MessageConsumer::unregister).toList())).mapEmpty();
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
