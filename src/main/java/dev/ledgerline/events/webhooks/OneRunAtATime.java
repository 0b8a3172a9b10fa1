package dev.ledgerline.events.webhooks;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs a step (a page of the feed, a claim of due deliveries) one at a time, on its owner's context. A wake while a
 * run is in progress asks for one more right after it. {@code then} handles each run's outcome and says whether
 * there may be more at once; a failed run is repeated only by the next wake (a poll, or news), so a failing database
 * is not retried in a tight loop.
 */
final class OneRunAtATime<T> {
  private final Supplier<Future<T>> run;
  private final Predicate<AsyncResult<T>> then;
  /** What a wake-up during a run leads to once the run ended without more at once: a run now, or a paced one. */
  private final Runnable rerun;
  private boolean running;
  private boolean again;
  private boolean stopped;

  OneRunAtATime(Supplier<Future<T>> run, Predicate<AsyncResult<T>> then) {
    this.run = run;
    this.then = then;
    this.rerun = this::wake;
  }

  /** With {@code rerun} for the wake-ups that came during a run (a feed consumer's pacer, say). */
  OneRunAtATime(Supplier<Future<T>> run, Predicate<AsyncResult<T>> then, Runnable rerun) {
    this.run = run;
    this.then = then;
    this.rerun = rerun;
  }

  void wake() {
    if (stopped) {
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    run.get().onComplete(ar -> {
      running = false;
      // Cleared before then: a wake it causes (a lane freed at once) starts the next run instead of waiting.
      boolean more = then.test(ar);
      if (ar.succeeded() && more) {
        wake();
      } else if (ar.succeeded() && again) {
        again = false;
        rerun.run();
      }
    });
  }

  /** No run starts after this; one in progress finishes. */
  void stop() {
    stopped = true;
  }
}
