package dev.ledgerline.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's handler for exceptions no Vert.x context handled: logged at ERROR with their stack, as Vert.x itself
 * would, except one known to be harmless.
 *
 * <p>That one is a race in the PostgreSQL client's pool (vertx-sql-client 5.0.7, the version the Vert.x BOM pins here,
 * and still in 5.0.12 and 5.1.5): a connection request that had to queue is granted on another event loop before its 30 s
 * acquisition timer is armed, so the timer is never cancelled and, 30 s later, tries to fail the request that already
 * has its connection ({@code IllegalStateException: Promise already completed}). The caller got its connection and
 * used it; nothing is lost or retried. Only the pool's queue gauge ({@code vertx_pool_queue_pending}) is decremented
 * once more than it should be. A node under load logged a stack for it every few seconds; it is counted instead
 * ({@code ledgerline_sql_pool_acquire_timer_races_total}), with one WARN line the first time.
 */
public final class UnhandledExceptions implements Handler<Throwable> {
  static final String POOL_RACE_METRIC = "ledgerline.sql.pool.acquire.timer.races";
  private static final Logger LOG = LoggerFactory.getLogger(UnhandledExceptions.class);
  private static final String POOL_REQUEST = "io.vertx.sqlclient.impl.pool.SqlConnectionPool$1PoolRequest";

  private final Counter poolRaces;
  private final AtomicBoolean warned = new AtomicBoolean();

  public UnhandledExceptions(MeterRegistry meters) {
    this.poolRaces = Counter.builder(POOL_RACE_METRIC)
        .description("PostgreSQL pool acquisition timers that fired for a request already granted (a harmless race "
            + "in vertx-sql-client)")
        .register(meters);
  }

  @Override
  public void handle(Throwable t) {
    if (isPoolTimerRace(t)) {
      poolRaces.increment();
      if (warned.compareAndSet(false, true)) {
        LOG.warn("A PostgreSQL pool acquisition timer fired for a request that already had its connection (a known, "
            + "harmless race in vertx-sql-client); counted in {} from now on",
            "ledgerline_sql_pool_acquire_timer_races_total");
      }
      return;
    }
    LOG.error("Unhandled exception", t);
  }

  /**
   * The race's signature, and nothing else: the pool request's timer lambda failing the completed promise itself, as
   * the two top frames, with no cause. The same message from code further down (a listener of that failed request
   * completing a promise twice) has other top frames and stays an ERROR.
   */
  static boolean isPoolTimerRace(Throwable t) {
    if (!(t instanceof IllegalStateException) || !"Promise already completed".equals(t.getMessage())
        || t.getCause() != null) {
      return false;
    }
    StackTraceElement[] frames = t.getStackTrace();
    return frames.length >= 2 && "io.vertx.core.Promise".equals(frames[0].getClassName())
        && "fail".equals(frames[0].getMethodName()) && POOL_REQUEST.equals(frames[1].getClassName())
        && frames[1].getMethodName().startsWith("lambda$onEnqueue");
  }
}
