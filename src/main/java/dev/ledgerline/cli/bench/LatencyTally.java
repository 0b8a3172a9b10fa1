package dev.ledgerline.cli.bench;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What a closed-loop benchmark counts: completions, their latency and refusals, only inside the measured window. The
 * clients run from the warm-up on and report every outcome; the tally ignores those outside the window.
 */
final class LatencyTally {
  private final Histogram latency;
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicBoolean measuring = new AtomicBoolean();

  /** {@code highestNanos}: the longest latency told apart; longer ones count as this. */
  LatencyTally(long highestNanos) {
    this.latency = new ConcurrentHistogram(highestNanos, 3);
  }

  /** One completion of a call started at {@code startNanos} ({@link System#nanoTime}). */
  void recordCompletion(long startNanos) {
    if (measuring.get()) {
      latency.recordValue(Math.min(System.nanoTime() - startNanos, latency.getHighestTrackableValue()));
      completed.incrementAndGet();
    }
  }

  /** One call the system refused (e.g. a 429). */
  void recordRefusal() {
    if (measuring.get()) {
      refused.incrementAndGet();
    }
  }

  /** Runs {@code window} (warm-up, then the measured seconds) counting only inside it; the measured seconds. */
  double measure(BenchWindow window) throws InterruptedException {
    return measure(window, () -> { }, () -> { });
  }

  /** As {@link #measure(BenchWindow)}, running {@code atStart} and {@code atEnd} just inside the measured window. */
  double measure(BenchWindow window, Runnable atStart, Runnable atEnd) throws InterruptedException {
    return window.measure(() -> {
      atStart.run();
      latency.reset();
      completed.set(0);
      refused.set(0);
      measuring.set(true);
    }, () -> {
      measuring.set(false);
      atEnd.run();
    });
  }

  long completed() {
    return completed.get();
  }

  long refused() {
    return refused.get();
  }

  /** A copy of the latencies counted. */
  Histogram latency() {
    return latency.copy();
  }
}
