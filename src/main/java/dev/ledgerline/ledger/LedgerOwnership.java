package dev.ledgerline.ledger;

import dev.ledgerline.config.LedgerlineConfig.LedgerBackendKind;
import dev.ledgerline.ledger.LedgerApi.OwnerInfo;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.shareddata.Lock;

/**
 * Makes sure an embedded ledger is alone in its cluster, and that embedded and TigerBeetle ledger nodes never mix
 * (they would be two different ledgers). Two signals, both through the cluster: a cluster-wide lock that an embedded
 * ledger holds for its lifetime, and a probe of {@link LedgerApi#OWNER}, which every running ledger answers. The
 * probe names the other node in the error.
 */
final class LedgerOwnership {
  static final String LOCK = "ledgerline.ledger.embedded";
  private static final long LOCK_WAIT_MS = 2_000;
  private static final long PROBE_MS = 2_000;

  private final Vertx vertx;
  private final String nodeId;
  private final LedgerBackendKind backend;
  private Lock lock;

  LedgerOwnership(Vertx vertx, String nodeId, LedgerBackendKind backend) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.backend = backend;
  }

  /** Succeeds when this node may run its ledger; fails with a message naming the conflict otherwise. */
  Future<Void> claim() {
    if (backend != LedgerBackendKind.EMBEDDED) {
      return probe().compose(other -> other == null || !other.backend().equals(LedgerBackendKind.EMBEDDED.id())
          ? Future.succeededFuture()
          : Future.failedFuture(new LedgerException("refusing to start the ledger on node " + nodeId
              + " with ledger.backend=" + backend.id() + ": node " + other.nodeId() + " already runs an embedded "
              + "ledger in this cluster, and the two would be different ledgers")));
    }
    return vertx.sharedData().getLockWithTimeout(LOCK, LOCK_WAIT_MS)
        .recover(err -> probe().compose(other -> Future.failedFuture(refusal(other))))
        .compose(l -> {
          lock = l;
          return probe().compose(other -> {
            if (other == null) return Future.succeededFuture();
            release();
            return Future.failedFuture(refusal(other));
          });
        });
  }

  private LedgerException refusal(OwnerInfo other) {
    String who = other == null ? "another node (it holds the cluster lock " + LOCK + ")"
        : "node " + other.nodeId() + " (ledger.backend=" + other.backend() + ")";
    return new LedgerException("refusing to start the ledger on node " + nodeId + ": ledger.backend=embedded "
        + "allows exactly one ledger node per cluster, and " + who + " already runs one. Remove the ledger role "
        + "from this node, or use ledger.backend=tigerbeetle to run several ledger nodes");
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

  void release() {
    if (lock != null) {
      lock.release();
      lock = null;
    }
  }
}
