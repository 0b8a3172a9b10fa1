package dev.ledgerline.ledger;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Paces a durable consumer of the committed-transfer feed: its read starts at most once per interval, and a wake-up
 * within the interval runs once, when the interval ends. A quiet feed is read at once.
 *
 * <p>Why: the ledger wakes its consumers after every batch it commits, hundreds of times a second under load, and a
 * read of a consumer kept in PostgreSQL (the search index, the webhook fan-out, the publisher's cursor) is a
 * transaction with a synchronous commit. Paced, the same transfers arrive in fewer, larger pages, and PostgreSQL's
 * share of the machine stays small; the price is at most one interval of extra delay for derived data. Used on one
 * context (the consumer's), so it needs no locking.
 */
public final class FeedPacer {
  private final Vertx vertx;
  private final long intervalNanos;
  private final Runnable read;
  private final LongSupplier nanoClock;
  private boolean started;
  private long lastStart;
  private long timer = -1;

  /** Runs {@code read} at most once per {@code interval}; a zero interval runs every wake-up at once. */
  public FeedPacer(Vertx vertx, Duration interval, Runnable read) {
    this(vertx, interval, read, System::nanoTime);
  }

  FeedPacer(Vertx vertx, Duration interval, Runnable read, LongSupplier nanoClock) {
    this.vertx = vertx;
    this.intervalNanos = interval.toNanos();
    this.read = read;
    this.nanoClock = nanoClock;
  }

  /** There is more to read: read now, or at the end of the current interval (once, however many wake-ups). */
  public void wake() {
    if (timer != -1) {
      return;
    }
    long now = nanoClock.getAsLong();
    long wait = started ? lastStart + intervalNanos - now : 0;
    if (wait <= 0) {
      run(now);
      return;
    }
    timer = vertx.setTimer(Math.max(1, (wait + 999_999) / 1_000_000), t -> {
      timer = -1;
      run(nanoClock.getAsLong());
    });
  }

  /** Drops a wake-up that waits for its interval (the consumer stops). */
  public void cancel() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void run(long now) {
    started = true;
    lastStart = now;
    read.run();
  }
}
