package dev.ledgerline.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline: the condition is re-checked, never assumed after a fixed sleep. */
public final class Poll {
  private Poll() {}

  public static void until(Duration deadline, String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("not met within " + deadline + ": " + what);
      }
      Thread.sleep(5); // polling interval only
    }
  }
}
