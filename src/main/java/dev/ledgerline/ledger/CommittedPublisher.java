package dev.ledgerline.ledger;

import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes {@link LedgerApi#TRANSFERS_COMMITTED} as a consumer of the committed-transfer feed
 * ({@link LedgerBackend#transfersAfter}): it reads the transfers after its cursor in commit order, reads the
 * accounts they touched for their balances, publishes them, and moves its cursor (the last transfer's timestamp).
 *
 * <p>Nothing committed is skipped: the cursor is stored in {@link FeedCursors} (PostgreSQL) after publication, a
 * failed read or lookup leaves it where it was, and a restarted ledger resumes from it. A crash between a
 * publication and the save of its cursor publishes those transfers again (at least once): subscribers dedupe by
 * timestamp. It reads after every batch the ledger commits and every {@code feed.poll-interval} in case a wake-up
 * was lost (or, with TigerBeetle, another client wrote). Everything runs on the ledger verticle's context.
 */
final class CommittedPublisher {
  /** The consumer's name in {@code ledger_feed_cursors}. */
  static final String CONSUMER = "committed-publisher";
  private static final Logger LOG = LoggerFactory.getLogger(CommittedPublisher.class);

  private final Vertx vertx;
  private final Context context;
  private final LedgerBackend backend;
  private final FeedCursors cursors;
  private final int page;
  private final long timer;
  /** Cursor saves: at most one per {@code feed.consumer-interval} (a crash publishes at most that much again). */
  private final FeedPacer saves;
  /** The timestamp of the last transfer published; -1 until loaded. */
  private long position = -1;
  private long saved = -1;
  private boolean loading;
  private boolean pumping;
  private boolean again;
  private boolean saving;
  private boolean failing;
  private boolean stopped;
  private final List<Promise<Void>> idle = new ArrayList<>();

  CommittedPublisher(Vertx vertx, LedgerBackend backend, FeedCursors cursors, Duration pollInterval,
      Duration saveInterval) {
    this(vertx, backend, cursors, pollInterval, saveInterval, LedgerBackend.BATCH_MAX);
  }

  /** With a smaller page (tests: a feed read in several pages). */
  CommittedPublisher(Vertx vertx, LedgerBackend backend, FeedCursors cursors, Duration pollInterval,
      Duration saveInterval, int page) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.backend = backend;
    this.cursors = cursors;
    this.page = page;
    this.saves = new FeedPacer(vertx, saveInterval, this::save);
    this.timer = vertx.setPeriodic(Math.max(1, pollInterval.toMillis()), t -> {
      wake();
      persist();
    });
  }

  /**
   * Loads the cursor; a consumer without one starts at the ledger's current end (publishing the whole history once
   * would flood every subscriber). Completes after the first attempt; a failed one is retried at every poll.
   */
  Future<Void> start() {
    return load().recover(e -> Future.succeededFuture());
  }

  private Future<Void> load() {
    loading = true;
    return cursors.load().compose(stored -> stored.isPresent() ? Future.succeededFuture(stored.get())
        : Future.fromCompletionStage(backend.latestTransferTimestamp(), context)
            .compose(end -> cursors.save(end).map(end)))
        .onComplete(ar -> loading = false)
        .onSuccess(p -> {
          position = p;
          saved = p;
          LOG.info("committed-transfer feed: publishing transfers after timestamp {}", p);
          wake();
        })
        .onFailure(e -> LOG.warn("committed-transfer feed: cursor not loaded ({}); retrying", e.toString()))
        .mapEmpty();
  }

  /** Called on the ledger's context after each durable batch with its ok transfers: there is more to read. */
  void committed(List<Transfer> ok) {
    wake();
  }

  private void wake() {
    if (stopped) {
      return;
    }
    if (position < 0) {
      if (!loading) load();
      return;
    }
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    again = false;
    read();
  }

  /** Reads and publishes pages until one comes back empty with no wake-up meanwhile. */
  private void read() {
    Future.fromCompletionStage(backend.transfersAfter(position, page), context)
        .compose(transfers -> transfers.isEmpty() ? Future.succeededFuture(false) : publish(transfers).map(true))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            if (failing) LOG.info("committed-transfer feed: publishing again after timestamp {}", position);
            failing = false;
          } else if (!failing) {
            failing = true;
            LOG.warn("committed-transfer feed: transfers after timestamp {} not published yet ({}); retrying every "
                + "poll", position, ar.cause().toString());
          }
          if (ar.succeeded() && (ar.result() || again) && !stopped) {
            again = false;
            read();
            return;
          }
          pumping = false;
          List<Promise<Void>> waiting = List.copyOf(idle);
          idle.clear();
          waiting.forEach(Promise::tryComplete);
        });
  }

  private Future<Void> publish(List<Transfer> transfers) {
    LinkedHashSet<UInt128> touched = new LinkedHashSet<>();
    for (Transfer t : transfers) {
      touched.add(t.debitAccountId());
      touched.add(t.creditAccountId());
    }
    return chunked(new ArrayList<>(touched), backend::lookupAccounts).map(accounts -> {
      vertx.eventBus().publish(LedgerApi.TRANSFERS_COMMITTED, new TransfersCommitted(transfers, accounts));
      position = transfers.get(transfers.size() - 1).timestamp();
      persist();
      return null;
    });
  }

  /**
   * Stores the cursor: one save at a time, at most one per interval, the newest position each time, so saves never
   * pile up and a busy ledger does not commit a PostgreSQL transaction per batch.
   */
  private void persist() {
    if (unsaved()) saves.wake();
  }

  /** A position read and not yet stored, with no save in flight. */
  private boolean unsaved() {
    return !saving && position >= 0 && position != saved;
  }

  private void save() {
    if (!unsaved()) return;
    saving = true;
    long p = position;
    cursors.save(p).onComplete(ar -> {
      saving = false;
      if (ar.succeeded()) {
        saved = Math.max(saved, p);
        persist();
      } else {
        // Not retried at once (PostgreSQL may be down): the next page or poll saves again.
        LOG.warn("committed-transfer feed: cursor {} not saved ({}); a restart may publish again", p,
            ar.cause().toString());
      }
    });
  }

  /**
   * Completes once everything committed so far has been published (or a read has failed, which is logged) and the
   * cursor saved: the ledger waits for it before closing the backend that the reads use.
   */
  Future<Void> drained() {
    if (position < 0) return Future.succeededFuture();
    Promise<Void> done = Promise.promise();
    idle.add(done);
    wake();
    return done.future().compose(v -> position == saved ? Future.<Void>succeededFuture() : cursors.save(position))
        .recover(e -> {
          LOG.warn("committed-transfer feed: cursor {} not saved at stop ({})", position, e.toString());
          return Future.succeededFuture();
        });
  }

  /** No more reads: the backend is about to close. */
  void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    saves.cancel();
  }

  /** One lookup per {@link LedgerBackend#BATCH_MAX} ids, results concatenated in order. */
  private <T> Future<List<T>> chunked(List<UInt128> ids, Function<List<UInt128>, CompletionStage<List<T>>> call) {
    Future<List<T>> acc = Future.succeededFuture(new ArrayList<>());
    for (int from = 0; from < ids.size(); from += LedgerBackend.BATCH_MAX) {
      List<UInt128> part = ids.subList(from, Math.min(ids.size(), from + LedgerBackend.BATCH_MAX));
      acc = acc.compose(list -> Future.fromCompletionStage(call.apply(part), context).map(found -> {
        list.addAll(found);
        return list;
      }));
    }
    return acc;
  }
}
