package dev.ledgerline.testing;

import java.time.Duration;

/**
 * The one way tests wait for something: the condition is re-checked until a deadline, never assumed after a fixed
 * sleep. A condition says "not yet" by returning false; an exception or assertion failure it throws ends the wait at
 * once (a checked one wrapped in an AssertionError).
 */
public final class Poll {
  private static final long INTERVAL_MILLIS = 5;

  private Poll() {}

  /** A condition that may do I/O (and throw) to find out whether it holds. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** Waits until the condition holds; fails naming {@code what} when the deadline passes first. */
  public static void until(Duration deadline, String what, Condition condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!check(condition)) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("not met within " + deadline + ": " + what);
      }
      pause();
    }
  }

  /** Whether the condition came to hold before the deadline (for tests that assert on the answer themselves). */
  public static boolean holdsWithin(Duration deadline, Condition condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() - end < 0) {
      if (check(condition)) {
        return true;
      }
      pause();
    }
    return check(condition);
  }

  private static boolean check(Condition condition) {
    try {
      return condition.holds();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("the condition failed: " + e, e);
    }
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
