package dev.ledgerline.cli.bench;

import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * {@code --warmup} and {@code --duration}: the unmeasured seconds a benchmark runs its load first, then the measured
 * window. A command declares it as {@code @Mixin BenchWindow window = new BenchWindow(duration, warmup)} with its own
 * defaults. The sleeps here are the benchmark's clock (load runs meanwhile on other threads), not synchronisation.
 */
final class BenchWindow {
  @Option(names = "--duration", description = "Measured seconds per run or phase (default: ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(names = "--warmup",
      description = "Unmeasured seconds before each run or phase (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  /** Picocli's, when a command leaves the mixin to it: 10 measured seconds after 3 unmeasured ones. */
  BenchWindow() {
    this(10, 3);
  }

  BenchWindow(int durationSeconds, int warmupSeconds) {
    this.durationSeconds = durationSeconds;
    this.warmupSeconds = warmupSeconds;
  }

  /** The window on the {@link System#nanoTime} clock of a load that starts at {@code start}. */
  record Deadlines(long measureFrom, long end) {}

  Deadlines deadlines(long start) {
    long measureFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
    return new Deadlines(measureFrom, measureFrom + TimeUnit.SECONDS.toNanos(durationSeconds));
  }

  /** Waits out the warm-up while the load runs. */
  void warmUp() throws InterruptedException {
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
  }

  /** Waits out the measured window while the load runs. */
  void hold() throws InterruptedException {
    Thread.sleep(TimeUnit.SECONDS.toMillis(durationSeconds));
  }

  /**
   * Warm-up, then {@code begin} (reset the figures, start counting), the measured window, then {@code end} (stop
   * counting); returns the seconds from {@code begin} to {@code end}.
   */
  double measure(Runnable begin, Runnable end) throws InterruptedException {
    warmUp();
    begin.run();
    long start = System.nanoTime();
    hold();
    end.run();
    return (System.nanoTime() - start) / 1e9;
  }
}
