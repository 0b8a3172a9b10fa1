package dev.ledgerline.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Duration;
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
 * lock connection itself is lost while the process lives, the process takes a new id on a new connection; its claims
 * under the old id may then be taken over by a retry, which the ledger's own transfer ids keep harmless.
 */
public final class ClaimHolder {
  private static final Logger LOG = LoggerFactory.getLogger(ClaimHolder.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final Vertx vertx;
  private final PgConnectOptions options;
  private volatile Future<Long> current;
  private volatile PgConnection connection;
  private volatile boolean closed;

  private ClaimHolder(Vertx vertx, PgConnectOptions options) {
    this.vertx = vertx;
    this.options = new PgConnectOptions(options).setPipeliningLimit(1);
    this.options.addProperty("application_name", "ledgerline-claim-holder");
  }

  /** Starts holding a fresh incarnation; {@link #id()} completes once the lock is held. */
  public static ClaimHolder start(Vertx vertx, PgConnectOptions options) {
    ClaimHolder h = new ClaimHolder(vertx, options);
    h.current = h.acquire();
    return h;
  }

  /**
   * The id to record in claims: the held incarnation, or the attempt under way to hold one (which fails if it
   * fails: a claim is never written under an id whose lock is not held).
   */
  public Future<Long> id() {
    return current;
  }

  private Future<Long> acquire() {
    long id = RANDOM.nextLong() & Long.MAX_VALUE;
    Promise<Long> held = Promise.promise();
    PgConnection.connect(vertx, options).onComplete(c -> {
      if (c.failed()) {
        held.fail(c.cause());
        retryLater();
        return;
      }
      PgConnection conn = c.result();
      conn.preparedQuery("SELECT pg_try_advisory_lock($1)").execute(Tuple.of(id)).onComplete(r -> {
        if (r.failed()) {
          conn.close();
          held.fail(r.cause());
          retryLater();
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
        conn.closeHandler(v -> lost(id));
        LOG.debug("holding idempotency claims as incarnation {}", id);
        held.complete(id);
      });
    });
    return held.future();
  }

  private void retryLater() {
    if (closed) {
      return;
    }
    vertx.setTimer(RETRY.toMillis(), t -> {
      if (!closed && current.failed()) {
        current = acquire();
      }
    });
  }

  private void lost(long id) {
    connection = null;
    if (closed) {
      return;
    }
    LOG.warn("the connection holding idempotency incarnation {} was lost; taking a new one", id);
    current = acquire();
  }

  /** Ends the incarnation: its lock goes with the session, so its claims may be taken over at once. */
  public Future<Void> close() {
    closed = true;
    PgConnection c = connection;
    return c == null ? Future.succeededFuture() : c.close();
  }
}
