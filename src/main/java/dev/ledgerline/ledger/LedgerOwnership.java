package dev.ledgerline.ledger;

import dev.ledgerline.config.LedgerlineConfig.LedgerBackendKind;
import dev.ledgerline.ledger.LedgerApi.OwnerInfo;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Refuses a second ledger node that this node can see in its cluster, and the mix of embedded and TigerBeetle ledger
 * nodes (they would be two different ledgers), naming the other node: a probe of {@link LedgerApi#OWNER}, which
 * every running ledger answers. This is an early, friendly refusal only: cluster membership is not partition-safe,
 * and what keeps an embedded ledger to one writer is its lease in PostgreSQL ({@link LedgerLease}).
 */
final class LedgerOwnership {
  private static final long PROBE_MS = 2_000;

  private final Vertx vertx;
  private final String nodeId;
  private final LedgerBackendKind backend;

  LedgerOwnership(Vertx vertx, String nodeId, LedgerBackendKind backend) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.backend = backend;
  }

  /** Succeeds when no conflicting ledger answers; fails with a message naming the conflict otherwise. */
  Future<Void> claim() {
    if (backend != LedgerBackendKind.EMBEDDED) {
      return probe().compose(other -> other == null || !other.backend().equals(LedgerBackendKind.EMBEDDED.id())
          ? Future.succeededFuture()
          : Future.failedFuture(new LedgerException("refusing to start the ledger on node " + nodeId
              + " with ledger.backend=" + backend.id() + ": node " + other.nodeId() + " already runs an embedded "
              + "ledger in this cluster, and the two would be different ledgers")));
    }
    return probe().compose(other -> other == null ? Future.succeededFuture() : Future.failedFuture(refusal(other)));
  }

  private LedgerException refusal(OwnerInfo other) {
    return new LedgerException("refusing to start the ledger on node " + nodeId + ": ledger.backend=embedded "
        + "allows exactly one ledger node per cluster, and node " + other.nodeId() + " (ledger.backend="
        + other.backend() + ") already runs one. Remove the ledger role from this node, or use "
        + "ledger.backend=tigerbeetle to run several ledger nodes");
  }

  /** The owner of any running ledger, or null when none answers. */
  private Future<OwnerInfo> probe() {
    return vertx.eventBus().<OwnerInfo>request(LedgerApi.OWNER, nodeId, new DeliveryOptions().setSendTimeout(PROBE_MS))
        .map(m -> m.body())
        .recover(err -> err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
            ? Future.succeededFuture(null) : Future.failedFuture(new LedgerException(
                "cannot tell whether another ledger runs in this cluster: " + err.getMessage(), err)));
  }

  OwnerInfo info() {
    return new OwnerInfo(nodeId, backend.id());
  }
}
