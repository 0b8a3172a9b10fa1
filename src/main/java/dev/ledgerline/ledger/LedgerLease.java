package dev.ledgerline.ledger;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * Write authority over an embedded ledger: a lease row in PostgreSQL (table {@code ledger_lease}) with a holder, a
 * fencing epoch, an expiry and the data it belongs to (the data directory's ledger id and the last op the holder
 * reported). PostgreSQL decides who holds it; Hazelcast, which is not partition-safe, has no say.
 *
 * <p>Rules, all decided in one PostgreSQL transaction with the row locked:
 * <ul>
 *   <li>No row: the first ledger to ask becomes the holder, epoch 1.</li>
 *   <li>A ledger whose data directory is another ledger ({@code ledger_id} differs) is refused for good.</li>
 *   <li>A ledger whose last durable op is behind the lease's {@code last_op} is refused for good: a stale ledger must
 *       never become the writer.</li>
 *   <li>An unexpired lease held by someone else is refused for now ({@link Reason#HELD}); the caller may retry.</li>
 *   <li>The same holder (this host and this data directory, whose file lock the engine holds, so the process that
 *       held it before is gone) or an expired lease: taken over with {@code epoch + 1}.</li>
 * </ul>
 *
 * <p>Expiry is decided by PostgreSQL's clock. The holder counts its own validity from the moment it sent the
 * statement that granted or renewed the lease, with a margin, on its monotonic clock, so it stops writing before any
 * other node can see the lease as expired. {@link #valid()} costs nothing and is asked before every batch.
 */
public final class LedgerLease {
  /** The row name of the embedded ledger's lease. */
  public static final String EMBEDDED = "embedded";
  /** The share of the TTL the holder trusts on its own clock (covers clock-rate drift between it and PostgreSQL). */
  private static final double LOCAL_SHARE = 0.8;

  /** Why the lease was not granted or was lost. */
  public enum Reason {
    /** Someone else holds an unexpired lease: retry later. */
    HELD,
    /** The lease belongs to another ledger's data. */
    OTHER_LEDGER,
    /** This ledger's data is behind the op the lease has recorded. */
    BEHIND,
    /** The lease changed hands while this node held it. */
    LOST
  }

  /** The lease was refused or lost; {@link #reason()} says whether trying again can help. */
  public static final class LeaseException extends LedgerException {
    private final Reason reason;

    LeaseException(Reason reason, String message) {
      super(message);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  private final Pool pool;
  private final String name;
  private final UUID ledgerId;
  private final String holder;
  private final String holderNode;
  private final Duration ttl;
  private final LongSupplier nanoClock;

  private volatile long epoch;
  private volatile long validUntilNanos;
  private volatile boolean lost;

  /**
   * @param holder who holds it: this host and the absolute data directory (same holder = same files)
   * @param holderNode the node id, for people reading the row
   */
  public LedgerLease(Pool pool, String name, UUID ledgerId, String holder, String holderNode, Duration ttl,
      LongSupplier nanoClock) {
    this.pool = pool;
    this.name = name;
    this.ledgerId = ledgerId;
    this.holder = holder;
    this.holderNode = holderNode;
    this.ttl = ttl;
    this.nanoClock = nanoClock;
  }

  /** One attempt to take the lease for a ledger whose last durable op is {@code lastOp}; completes with the epoch. */
  public Future<Long> acquire(long lastOp) {
    return acquire(lastOp, 1);
  }

  /**
   * As {@link #acquire(long)} for a ledger whose log's latest fencing epoch is {@code minEpoch - 1}: the lease's
   * epoch starts above it (a lease row an operator removed starts again above it, never below), and a log whose
   * epoch is older than the lease's belongs to a writer that was followed by another, so it is refused unless it is
   * the lease holder's own files.
   */
  public Future<Long> acquire(long lastOp, long minEpoch) {
    long sent = nanoClock.getAsLong();
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT ledger_id, holder, holder_node, epoch, last_op, "
            + "expires_at <= now() AS expired, GREATEST(0, (EXTRACT(EPOCH FROM expires_at - now()) * 1000))::bigint "
            + "AS remaining_ms FROM ledger_lease WHERE name = $1 FOR UPDATE")
        .execute(Tuple.of(name))
        .compose(rows -> rows.size() == 0 ? insert(conn, lastOp, minEpoch)
            : takeOver(conn, rows.iterator().next(), lastOp, minEpoch)))
        .map(e -> {
          epoch = e;
          lost = false;
          validUntilNanos = sent + (long) (ttl.toNanos() * LOCAL_SHARE);
          return e;
        });
  }

  private Future<Long> insert(SqlConnection conn, long lastOp, long minEpoch) {
    return conn.preparedQuery("INSERT INTO ledger_lease (name, ledger_id, holder, holder_node, epoch, last_op, "
            + "expires_at) VALUES ($1, $2, $3, $4, $7, $5, now() + $6 * interval '1 millisecond') "
            + "ON CONFLICT (name) DO NOTHING RETURNING epoch")
        .execute(Tuple.of(name, ledgerId, holder, holderNode, lastOp, ttl.toMillis(), Math.max(1, minEpoch)))
        .compose(rows -> rows.size() == 1 ? Future.succeededFuture(rows.iterator().next().getLong(0))
            // Another ledger inserted it between our SELECT and INSERT.
            : Future.failedFuture(new LeaseException(Reason.HELD, "the ledger lease was just taken by another node")));
  }

  private Future<Long> takeOver(SqlConnection conn, Row row, long lastOp, long minEpoch) {
    UUID leaseLedger = row.getUUID("ledger_id");
    long leaseOp = row.getLong("last_op");
    String owner = row.getString("holder_node") + " (" + row.getString("holder") + ")";
    if (!ledgerId.equals(leaseLedger)) {
      return Future.failedFuture(new LeaseException(Reason.OTHER_LEDGER, "the ledger lease belongs to ledger "
          + leaseLedger + ", last held by " + owner + ", but this node's data directory holds ledger " + ledgerId
          + "; refusing to become the writer of a different ledger"));
    }
    if (lastOp < leaseOp) {
      return Future.failedFuture(new LeaseException(Reason.BEHIND, "this node's ledger data ends at op " + lastOp
          + " but the lease has recorded op " + leaseOp + " (last held by " + owner + "); a stale ledger never "
          + "becomes the writer"));
    }
    boolean same = holder.equals(row.getString("holder"));
    long leaseEpoch = row.getLong("epoch");
    if (!same && minEpoch - 1 < leaseEpoch) {
      // Ops alone cannot tell: a former writer keeps a log that may be as long as the newer writer's, with other data.
      return Future.failedFuture(new LeaseException(Reason.BEHIND, "this node's ledger data was last written under "
          + "epoch " + (minEpoch - 1) + " but the lease is at epoch " + leaseEpoch + " (last held by " + owner
          + "); a stale ledger never becomes the writer"));
    }
    if (!same && !row.getBoolean("expired")) {
      return Future.failedFuture(new LeaseException(Reason.HELD, "the ledger lease is held by " + owner
          + " for another " + row.getLong("remaining_ms") + " ms"));
    }
    return conn.preparedQuery("UPDATE ledger_lease SET holder = $2, holder_node = $3, "
            + "epoch = GREATEST(epoch + 1, $6), last_op = GREATEST(last_op, $4), "
            + "expires_at = now() + $5 * interval '1 millisecond', updated_at = now() WHERE name = $1 RETURNING epoch")
        .execute(Tuple.of(name, holder, holderNode, lastOp, ttl.toMillis(), minEpoch))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /**
   * Extends the lease and records {@code lastOp}. Fails with {@link Reason#LOST} when the row no longer names this
   * holder and epoch; an expired lease that nobody took is still this holder's (the epoch proves nobody wrote).
   */
  public Future<Void> renew(long lastOp) {
    long sent = nanoClock.getAsLong();
    long e = epoch;
    return pool.preparedQuery("UPDATE ledger_lease SET expires_at = now() + $4 * interval '1 millisecond', "
            + "last_op = GREATEST(last_op, $5), updated_at = now() WHERE name = $1 AND holder = $2 AND epoch = $3")
        .execute(Tuple.of(name, holder, e, ttl.toMillis(), lastOp))
        .compose(rows -> updated(rows, e, () -> validUntilNanos = sent + (long) (ttl.toNanos() * LOCAL_SHARE)));
  }

  /** Gives the lease up at a clean stop, recording {@code lastOp}, so another node may take it at once. */
  public Future<Void> release(long lastOp) {
    long e = epoch;
    validUntilNanos = nanoClock.getAsLong();
    return pool.preparedQuery("UPDATE ledger_lease SET expires_at = now(), last_op = GREATEST(last_op, $4), "
            + "updated_at = now() WHERE name = $1 AND holder = $2 AND epoch = $3")
        .execute(Tuple.of(name, holder, e, lastOp))
        .compose(rows -> updated(rows, e, () -> {}));
  }

  private Future<Void> updated(RowSet<Row> rows, long e, Runnable onSuccess) {
    if (rows.rowCount() == 1) {
      onSuccess.run();
      return Future.succeededFuture();
    }
    lost = true;
    validUntilNanos = nanoClock.getAsLong();
    return Future.failedFuture(new LeaseException(Reason.LOST, "the ledger lease (epoch " + e + ") was taken over by "
        + "another node; this node no longer accepts ledger writes"));
  }

  /** Whether this node may write now: the lease was granted and has not run out on this node's clock. */
  public boolean valid() {
    return !lost && epoch > 0 && nanoClock.getAsLong() - validUntilNanos < 0;
  }

  /** Why writes are refused now, or null while {@link #valid()}. */
  public String refusal() {
    if (valid()) return null;
    if (lost) return "this node lost the ledger lease to another node; it no longer accepts ledger writes";
    if (epoch == 0) return "this node does not hold the ledger lease";
    return "this node's ledger lease ran out (PostgreSQL unreachable for " + ttl + "?); writes resume once it is renewed";
  }

  public boolean lost() {
    return lost;
  }

  public long epoch() {
    return epoch;
  }

  public Duration ttl() {
    return ttl;
  }
}
