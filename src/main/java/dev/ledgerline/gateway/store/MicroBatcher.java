package dev.ledgerline.gateway.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Collects the calls made during one event-loop tick (and while earlier flushes are in flight) and runs them as one
 * statement: under load, one PostgreSQL round trip and one commit serve hundreds of requests. When idle, a call waits
 * only for the current tick to end.
 */
final class MicroBatcher<T, R> {
  private final Context context;
  private final int maxInFlight;
  private final int maxBatch;
  private final Function<List<T>, Future<List<R>>> flush;
  private List<T> items = new ArrayList<>();
  private List<Promise<R>> promises = new ArrayList<>();
  private int inFlight;
  private boolean scheduled;

  /** {@code flush} answers one result per item, in order. */
  MicroBatcher(Context context, int maxInFlight, int maxBatch, Function<List<T>, Future<List<R>>> flush) {
    this.context = context;
    this.maxInFlight = maxInFlight;
    this.maxBatch = maxBatch;
    this.flush = flush;
  }

  Future<R> add(T item) {
    Promise<R> p = Promise.promise();
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
    Future<List<R>> result;
    try {
      result = flush.apply(batch);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> {
      boolean again;
      synchronized (this) {
        inFlight--;
        again = !items.isEmpty() && !scheduled;
        if (again) {
          scheduled = true;
        }
      }
      for (int i = 0; i < waiting.size(); i++) {
        if (ar.succeeded()) {
          waiting.get(i).complete(ar.result().get(i));
        } else {
          waiting.get(i).fail(ar.cause());
        }
      }
      if (again) {
        context.runOnContext(v -> flushNow());
      }
    });
  }
}
