package dev.ledgerline.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The one way tests wait for something: the condition is re-checked until a deadline, never assumed after a fixed
 * sleep. A condition may throw to say "not yet" only by returning false; an exception or assertion failure it throws
 * ends the wait at once.
 */
public final class Poll {
  private static final long INTERVAL_MILLIS = 5;

  private Poll() {}

  /** Waits until the condition holds; fails naming {@code what} when the deadline passes first. */
  public static void until(Duration deadline, String what, BooleanSupplier condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("not met within " + deadline + ": " + what);
      }
      pause();
    }
  }

  /** Whether the condition came to hold before the deadline (for tests that assert on the answer themselves). */
  public static boolean holdsWithin(Duration deadline, BooleanSupplier condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() - end < 0) {
      if (condition.getAsBoolean()) {
        return true;
      }
      pause();
    }
    return condition.getAsBoolean();
  }

  private static void pause() {
    try {
      Thread.sleep(INTERVAL_MILLIS); // polling interval only: the condition decides
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting", e);
    }
  }
}
