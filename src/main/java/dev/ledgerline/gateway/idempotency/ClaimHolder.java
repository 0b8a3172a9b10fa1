package dev.ledgerline.gateway.idempotency;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node process's incarnation as a holder of idempotency claims: a random 63-bit id and a session-level
 * PostgreSQL advisory lock on that id, held on one dedicated connection for the life of the process. Every claim
 * records the id; a claim whose holder's lock is gone (the process died, so PostgreSQL ended its session) may be taken
 * over at once (see {@code idempotency_holder_alive} in the V7 migration).
 *
 * <p>Exact where a heartbeat is not: PostgreSQL drops the lock when the session ends, which it sees as soon as the
 * process's socket closes (a crash or a kill), and no clock or timeout is involved. It costs nothing on the hot path:
 * a claim carries one more bigint, and the lock table is read only when a claim meets a row still in flight. When the
 * lock connection itself is lost while the process lives, the process takes a new id on a new connection and, once
 * its lock is held, re-stamps its claims still in flight under the old ids with the new one; in between, a retry may
 * take one over, which the ledger's own transfer ids keep harmless, and the store then leaves the new holder's claim
 * alone (it completes and releases only claims of this process's ids). The lock connection sends {@code SELECT 1}
 * every {@link #PING}; one not answered within that time counts as a lost connection, so a connection dropped
 * without a close is noticed.
 */
public final class ClaimHolder {
  private static final Logger LOG = LoggerFactory.getLogger(ClaimHolder.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration RETRY = Duration.ofSeconds(1);
  static final Duration PING = Duration.ofSeconds(10);

  private final Vertx vertx;
  private final PgConnectOptions options;
  private volatile Future<Long> current;
  private volatile PgConnection connection;
  private volatile boolean closed;
  private volatile long lastAttempt;
  private volatile long pingTimer = -1;
  private final Duration ping;
  /** Every id this process has held a lock on; claims under any of them are this process's. */
  private final List<Long> incarnations = new CopyOnWriteArrayList<>();

  private ClaimHolder(Vertx vertx, PgConnectOptions options, Duration ping) {
    this.vertx = vertx;
    this.ping = ping;
    this.options = new PgConnectOptions(options).setPipeliningLimit(1);
    this.options.addProperty("application_name", "ledgerline-claim-holder");
  }

  /** Starts holding a fresh incarnation; {@link #id()} completes once the lock is held. */
  public static ClaimHolder start(Vertx vertx, PgConnectOptions options) {
    return start(vertx, options, PING);
  }

  static ClaimHolder start(Vertx vertx, PgConnectOptions options, Duration ping) {
    ClaimHolder h = new ClaimHolder(vertx, options, ping);
    h.current = h.acquire();
    return h;
  }

  /** The ids this process has held (the current one last): its claims carry one of them unless taken over. */
  public Long[] incarnations() {
    return incarnations.toArray(new Long[0]);
  }

  /**
   * The id to record in claims: the held incarnation, or the attempt under way to hold one (which fails if it
   * fails: a claim is never written under an id whose lock is not held).
   */
  public Future<Long> id() {
    Future<Long> c = current;
    if (c.failed() && !closed && System.nanoTime() - lastAttempt >= RETRY.toNanos()) {
      // The last attempt failed (PostgreSQL unreachable): the next claim that needs an id tries again, at most once
      // per RETRY, so no timer has to outlive the connection it retries.
      synchronized (this) {
        if (current == c) {
          current = acquire();
        }
        return current;
      }
    }
    return c;
  }

  private Future<Long> acquire() {
    lastAttempt = System.nanoTime();
    long id = RANDOM.nextLong() & Long.MAX_VALUE;
    Promise<Long> held = Promise.promise();
    Future<PgConnection> connecting;
    try {
      connecting = PgConnection.connect(vertx, options);
    } catch (RuntimeException e) {
      // Vert.x is closing (the node stops): there is nothing left to hold claims for.
      return Future.failedFuture(e);
    }
    connecting.onComplete(c -> {
      if (c.failed()) {
        held.fail(c.cause());
        return;
      }
      PgConnection conn = c.result();
      conn.preparedQuery("SELECT pg_try_advisory_lock($1)").execute(Tuple.of(id)).onComplete(r -> {
        if (r.failed()) {
          conn.close();
          held.fail(r.cause());
          return;
        }
        if (!Boolean.TRUE.equals(r.result().iterator().next().getBoolean(0))) {
          // Another live process drew the same id: draw again.
          conn.close();
          current = acquire();
          current.onComplete(held);
          return;
        }
        connection = conn;
        // A session ended by the server (FATAL, e.g. pg_terminate_backend or a restart) shows as an exception first.
        AtomicBoolean gone = new AtomicBoolean();
        conn.closeHandler(v -> {
          if (gone.compareAndSet(false, true)) {
            lost(id);
          }
        });
        conn.exceptionHandler(e -> {
          LOG.debug("the connection holding incarnation {}: {}", id, e.toString());
          conn.close();
          if (gone.compareAndSet(false, true)) {
            lost(id);
          }
        });
        LOG.debug("holding idempotency claims as incarnation {}", id);
        Long[] before = incarnations();
        incarnations.add(id);
        startPinging(conn, gone, id);
        if (before.length == 0) {
          held.complete(id);
          return;
        }
        // Claims still in flight under earlier ids are this process's: they are held again by the new lock, so a
        // retry does not take them over while this process still works on them.
        conn.preparedQuery("UPDATE idempotency_keys SET holder = $1 WHERE holder = ANY($2) AND state = 'in_flight'")
            .execute(Tuple.tuple().addLong(id).addArrayOfLong(before)).onComplete(u -> {
              if (u.failed()) {
                LOG.warn("could not re-stamp the claims of earlier incarnations with {}: {}", id,
                    u.cause().toString());
              } else if (u.result().rowCount() > 0) {
                LOG.info("{} claims in flight are now held as incarnation {}", u.result().rowCount(), id);
              }
              held.complete(id);
            });
      });
    });
    return held.future();
  }

  /**
   * A cheap query every {@link #ping}: a connection that does not answer within that time is closed and replaced, so
   * a connection dropped without a close (a vanished peer, a silent network) is noticed.
   */
  private void startPinging(PgConnection conn, AtomicBoolean gone, long id) {
    pingTimer = vertx.setPeriodic(ping.toMillis(), t -> {
      if (gone.get()) {
        vertx.cancelTimer(t);
        return;
      }
      AtomicBoolean answered = new AtomicBoolean();
      long deadline = vertx.setTimer(ping.toMillis(), d -> {
        if (!answered.get() && gone.compareAndSet(false, true)) {
          LOG.warn("the connection holding incarnation {} did not answer for {}; taking a new incarnation", id, ping);
          conn.close();
          lost(id);
        }
      });
      conn.query("SELECT 1").execute().onComplete(r -> {
        answered.set(true);
        vertx.cancelTimer(deadline);
      });
    });
  }

  private void lost(long id) {
    connection = null;
    vertx.cancelTimer(pingTimer);
    if (closed) {
      return;
    }
    // Claims wait for the next incarnation, taken at once.
    current = acquire();
    current.onSuccess(n -> LOG.info("the connection holding idempotency incarnation {} was lost; claims are now held "
        + "as incarnation {}", id, n));
  }

  /** Ends the incarnation: its lock goes with the session, so its claims may be taken over at once. */
  public Future<Void> close() {
    closed = true;
    vertx.cancelTimer(pingTimer);
    PgConnection c = connection;
    return c == null ? Future.succeededFuture() : c.close();
  }
}
