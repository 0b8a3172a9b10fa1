package dev.ledgerline.gateway.idempotency;

import dev.ledgerline.tracing.CallerPromises;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Collects the calls made during one event-loop tick (and while earlier flushes are in flight) and runs them as one
 * statement: under load, one PostgreSQL round trip and one commit serve hundreds of requests. When idle, a call waits
 * only for the current tick to end.
 *
 * <p>A batch that fails for a reason {@code splitOn} accepts (an error the server reported for the statement, such as
 * a value it cannot store) is run again one item at a time, so that one item's error is that item's alone and its
 * neighbours succeed. Other failures (a lost connection) fail the whole batch: running it again item by item would
 * only multiply the same failure.
 */
final class MicroBatcher<T, R> {
  private final Context context;
  private final int maxInFlight;
  private final int maxBatch;
  private final Function<List<T>, Future<List<R>>> flush;
  private final Predicate<Throwable> splitOn;
  private List<T> items = new ArrayList<>();
  private List<Promise<R>> promises = new ArrayList<>();
  private int inFlight;
  private boolean scheduled;

  /** {@code flush} answers one result per item, in order. */
  MicroBatcher(Context context, int maxInFlight, int maxBatch, Function<List<T>, Future<List<R>>> flush) {
    this(context, maxInFlight, maxBatch, flush, e -> false);
  }

  /** As above; a failed batch of more than one item whose failure {@code splitOn} accepts runs again item by item. */
  MicroBatcher(Context context, int maxInFlight, int maxBatch, Function<List<T>, Future<List<R>>> flush,
      Predicate<Throwable> splitOn) {
    this.context = context;
    this.maxInFlight = maxInFlight;
    this.maxBatch = maxBatch;
    this.flush = flush;
    this.splitOn = splitOn;
  }

  Future<R> add(T item) {
    Promise<R> p = CallerPromises.promise();
    boolean schedule;
    synchronized (this) {
      items.add(item);
      promises.add(p);
      schedule = !scheduled && inFlight < maxInFlight;
      if (schedule) {
        scheduled = true;
      }
    }
    if (schedule) {
      context.runOnContext(v -> flushNow());
    }
    return p.future();
  }

  private void flushNow() {
    List<T> batch;
    List<Promise<R>> waiting;
    synchronized (this) {
      scheduled = false;
      if (items.isEmpty() || inFlight >= maxInFlight) {
        return;
      }
      if (items.size() <= maxBatch) {
        batch = items;
        waiting = promises;
        items = new ArrayList<>();
        promises = new ArrayList<>();
      } else {
        batch = new ArrayList<>(items.subList(0, maxBatch));
        waiting = new ArrayList<>(promises.subList(0, maxBatch));
        items = new ArrayList<>(items.subList(maxBatch, items.size()));
        promises = new ArrayList<>(promises.subList(maxBatch, promises.size()));
      }
      inFlight++;
    }
    run(batch).transform(ar -> ar.failed() && batch.size() > 1 && splitOn.test(ar.cause())
        ? one(batch) : Future.succeededFuture(outcomes(ar, batch.size()))).onComplete(done -> {
      boolean again;
      synchronized (this) {
        inFlight--;
        again = !items.isEmpty() && !scheduled;
        if (again) {
          scheduled = true;
        }
      }
      List<AsyncResult<R>> outcomes = done.result();
      for (int i = 0; i < waiting.size(); i++) {
        AsyncResult<R> o = outcomes.get(i);
        if (o.succeeded()) {
          waiting.get(i).complete(o.result());
        } else {
          waiting.get(i).fail(o.cause());
        }
      }
      if (again) {
        context.runOnContext(v -> flushNow());
      }
    });
  }

  private Future<List<R>> run(List<T> batch) {
    try {
      return flush.apply(batch);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Each item on its own (all sent at once: the client pipelines them), each with its own outcome. */
  private Future<List<AsyncResult<R>>> one(List<T> batch) {
    List<Future<R>> each = new ArrayList<>(batch.size());
    for (T item : batch) {
      each.add(run(List.of(item)).map(r -> r.get(0)));
    }
    return Future.join(each).transform(v -> {
      List<AsyncResult<R>> out = new ArrayList<>(each.size());
      out.addAll(each);
      return Future.succeededFuture(out);
    });
  }

  private static <R> List<AsyncResult<R>> outcomes(AsyncResult<List<R>> ar, int n) {
    List<AsyncResult<R>> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(ar.succeeded() ? Future.succeededFuture(ar.result().get(i)) : Future.failedFuture(ar.cause()));
    }
    return out;
  }
}
