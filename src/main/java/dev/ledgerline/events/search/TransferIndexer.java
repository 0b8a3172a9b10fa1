package dev.ledgerline.events.search;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.ledger.FeedPacer;
import dev.ledgerline.ledger.LedgerApi;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Transfer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable consumer of the committed-transfer feed that keeps plain transfers in {@code transaction_search}.
 *
 * <p>Its cursor (the timestamp of the last transfer indexed) is a row of {@code ledger_feed_cursors} (consumer
 * {@value #CONSUMER}), moved in the same PostgreSQL transaction as the rows it covers and only from the position this
 * indexer read (compare and set). So an indexer that was stopped resumes where its last transaction ended; two
 * indexers on two nodes never both commit one page (the loser reloads and goes on); and {@code ledgerline reindex},
 * which sets the position back to 0, makes a running indexer start again from the beginning (it reads the stored
 * position at every poll).
 *
 * <p>It reads when the ledger publishes {@link LedgerApi#TRANSFERS_COMMITTED} (the commit's own wake-up, so a
 * transfer is searchable within milliseconds) and every {@code feed.poll-interval} in case one was missed. Transfers
 * of the ledger event store ({@code events.ledger}) are not transactions and are skipped. Everything runs on the
 * context it was started on.
 */
public final class TransferIndexer {
  /** The cursor's consumer name in {@code ledger_feed_cursors}. */
  public static final String CONSUMER = "search";
  /** Transfers read and indexed per transaction. */
  static final int PAGE = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(TransferIndexer.class);

  private final Vertx vertx;
  private final Context context;
  private final Pool pool;
  private final LedgerClient ledger;
  private final Supplier<Future<String>> ledgerKey;
  private final Duration pollInterval;
  private final FeedPacer pacer;
  private final int eventsLedger;
  private final Timer lag;
  private String key;
  /** The timestamp of the last transfer indexed; -1 until loaded. */
  private long position = -1;
  private boolean pumping;
  private boolean again;
  private boolean failing;
  private boolean reload;
  private boolean stopped = true;
  private long timer = -1;
  private MessageConsumer<Object> wakeups;
  private final List<Promise<Void>> idle = new ArrayList<>();

  /**
   * @param ledgerKey which ledger the cursor belongs to (a new ledger starts afresh)
   * @param consumerInterval a commit's wake-up starts a read at most this often ({@link FeedPacer})
   * @param eventsLedger the ledger of the event store, whose transfers are skipped
   * @param registry where {@code ledgerline.search.index.lag} (commit to searchable) is recorded
   */
  public TransferIndexer(Vertx vertx, Pool pool, LedgerClient ledger, Supplier<Future<String>> ledgerKey,
      Duration pollInterval, Duration consumerInterval, int eventsLedger, MeterRegistry registry) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pool = pool;
    this.ledger = ledger;
    this.ledgerKey = ledgerKey;
    this.pollInterval = pollInterval;
    this.pacer = new FeedPacer(vertx, consumerInterval, this::wake);
    this.eventsLedger = eventsLedger;
    this.lag = Timer.builder("ledgerline.search.index.lag")
        .description("from a transfer's commit in the ledger to its row in transaction_search")
        .publishPercentiles(0.5, 0.99).register(registry);
  }

  /** The node's indexer: the node's PostgreSQL, a ledger client, the cursor keyed by the configured ledger. */
  public static TransferIndexer create(Vertx vertx, Pool pool, LedgerlineConfig config, MeterRegistry registry) {
    return new TransferIndexer(vertx, pool, new LedgerClient(vertx, config.ledger().requestTimeout()),
        ledgerKey(pool, config.ledger()), config.feed().pollInterval(), config.feed().consumerInterval(),
        config.events().ledger(), registry);
  }

  /**
   * The ledger a cursor belongs to, named as the ledger's own publisher names it: the embedded ledger's id from its
   * write lease (which the ledger takes before it serves anything), or the TigerBeetle cluster id.
   */
  static Supplier<Future<String>> ledgerKey(Pool pool, LedgerlineConfig.Ledger config) {
    if (config.backend() != LedgerlineConfig.LedgerBackendKind.EMBEDDED) {
      String key = "tigerbeetle:" + config.tigerbeetleClusterId();
      return () -> Future.succeededFuture(key);
    }
    return () -> pool.query("SELECT ledger_id FROM ledger_lease WHERE name = 'embedded'").execute()
        .compose(rows -> rows.size() == 0 ? Future.failedFuture("the embedded ledger has not taken its lease yet")
            : Future.succeededFuture("embedded:" + rows.iterator().next().getUUID(0)));
  }

  /** Starts reading; completes once the wake-ups are registered, the first read follows. */
  public Future<Void> start() {
    Promise<Void> started = Promise.promise();
    context.runOnContext(v -> {
      if (!stopped) {
        started.complete();
        return;
      }
      stopped = false;
      timer = vertx.setPeriodic(Math.max(1, pollInterval.toMillis()), t -> {
        // The stored cursor is read again at every poll: a reindex that set it back is followed within one.
        reload = true;
        wake();
      });
      wakeups = vertx.eventBus().consumer(LedgerApi.TRANSFERS_COMMITTED, m -> pacer.wake());
      wakeups.completion().onComplete(ar -> {
        wake();
        started.complete();
      });
    });
    return started.future();
  }

  /** Stops after the page in hand (its transaction commits or not, and the cursor says which). */
  public Future<Void> stop() {
    Promise<Void> stoppedNow = Promise.promise();
    context.runOnContext(v -> {
      if (stopped) {
        stoppedNow.complete();
        return;
      }
      stopped = true;
      vertx.cancelTimer(timer);
      pacer.cancel();
      Future<Void> unregistered = wakeups.unregister();
      Promise<Void> done = Promise.promise();
      if (pumping) {
        idle.add(done);
      } else {
        settle();
        done.complete();
      }
      Future.join(unregistered, done.future()).<Void>mapEmpty().onComplete(stoppedNow);
    });
    return stoppedNow.future();
  }

  /** Completes once everything committed before the call is indexed (tests, benchmarks). */
  public Future<Void> caughtUp() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      idle.add(done);
      if (pumping) {
        // The round in progress may have read before the caller's commit: one more round after it.
        again = true;
      } else {
        wake();
      }
    });
    return done.future();
  }

  /** The timestamp of the last transfer indexed, or -1 before the cursor was loaded. */
  public long position() {
    return position;
  }

  private void wake() {
    if (pumping) {
      again = true;
      return;
    }
    if (stopped) {
      settle();
      return;
    }
    pumping = true;
    again = false;
    round();
  }

  /**
   * Reads and indexes pages while they come back full; a wake-up that came meanwhile reads again through the pacer,
   * so that under load each transaction holds what arrived in one interval rather than one ledger batch.
   */
  private void round() {
    boolean fresh = position < 0 || reload;
    reload = false;
    (fresh ? load() : Future.succeededFuture(position))
        .compose(from -> ledger.transfersAfter(from, PAGE))
        .compose(page -> page.isEmpty() ? Future.succeededFuture(false) : index(page).map(page.size() >= PAGE))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            if (failing) LOG.info("search index: indexing transfers again after timestamp {}", position);
            failing = false;
          } else if (!failing) {
            failing = true;
            LOG.warn("search index: transfers after timestamp {} not indexed yet ({}); retrying every poll",
                position, ar.cause().toString());
          }
          if (ar.succeeded() && ar.result() && !stopped) {
            again = false;
            round();
            return;
          }
          pumping = false;
          if (ar.succeeded() && again && !stopped) {
            // Callers of caughtUp() stay waiting for the read the wake-up asked for.
            again = false;
            pacer.wake();
            return;
          }
          settle();
        });
  }

  private void settle() {
    List<Promise<Void>> waiting = List.copyOf(idle);
    idle.clear();
    waiting.forEach(Promise::tryComplete);
  }

  /** The stored position; a consumer without one starts at the beginning of the ledger (the whole history). */
  private Future<Long> load() {
    return ledgerKey.get().compose(k -> {
      key = k;
      return pool.preparedQuery("INSERT INTO ledger_feed_cursors (consumer, ledger, position) VALUES ($1, $2, 0) "
              + "ON CONFLICT (consumer, ledger) DO NOTHING").execute(Tuple.of(CONSUMER, k))
          .compose(v -> pool.preparedQuery("SELECT position FROM ledger_feed_cursors WHERE consumer = $1 "
              + "AND ledger = $2").execute(Tuple.of(CONSUMER, k)))
          .map(rows -> {
            position = rows.iterator().next().getLong(0);
            return position;
          });
    });
  }

  /**
   * One transaction: the page's rows, the pending rows its posts and voids resolve, and the cursor moved from the
   * position read. When the cursor is no longer there (another indexer went on, or a reindex reset it), nothing is
   * kept and the position is loaded again.
   */
  private Future<Void> index(List<Transfer> page) {
    long from = position;
    long to = page.get(page.size() - 1).timestamp();
    List<Transfer> upserts = new ArrayList<>(page.size());
    List<Transfer> resolves = new ArrayList<>();
    for (Transfer t : page) {
      if (t.ledger() == eventsLedger) continue;
      upserts.add(t);
      if (TransferRows.resolves(t)) resolves.add(t);
    }
    return pool.withTransaction(conn -> conn.preparedQuery("UPDATE ledger_feed_cursors SET position = $3, "
            + "updated_at = now() WHERE consumer = $1 AND ledger = $2 AND position = $4")
        .execute(Tuple.of(CONSUMER, key, to, from))
        .compose(moved -> {
          if (moved.rowCount() != 1) return Future.failedFuture(new CursorMoved());
          Future<?> rows = upserts.isEmpty() ? Future.succeededFuture()
              : conn.preparedQuery(TransferRows.UPSERT).execute(TransferRows.upserts(upserts));
          return rows.compose(v -> resolves.isEmpty() ? Future.succeededFuture()
              : conn.preparedQuery(TransferRows.RESOLVE).execute(TransferRows.resolves(resolves)));
        }))
        .transform(ar -> {
          if (ar.failed() && ar.cause() instanceof CursorMoved) {
            LOG.info("search index: the cursor moved away from {} (another indexer, or a reindex); reloading", from);
            position = -1;
            return Future.succeededFuture();
          }
          if (ar.failed()) return Future.failedFuture(ar.cause());
          position = to;
          long now = nowNanos();
          for (Transfer t : page) {
            lag.record(Math.max(0, now - t.timestamp()), TimeUnit.NANOSECONDS);
          }
          return Future.succeededFuture();
        });
  }

  private static long nowNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** The page's cursor was moved by someone else: roll back, reload. */
  private static final class CursorMoved extends RuntimeException {
    CursorMoved() {
      super("search cursor moved", null, false, false);
    }
  }
}
