package dev.ledgerline.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ledgerline.testing.Poll;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A feed consumer's pacing: a quiet feed is read at once, a busy one once per interval, and never lost. */
@ExtendWith(VertxExtension.class)
class FeedPacerTest {
  private static final Duration INTERVAL = Duration.ofMillis(200);
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final AtomicInteger reads = new AtomicInteger();

  @Test
  void aQuietFeedIsReadAtOnceAndWakeUpsWithinTheIntervalBecomeOneReadAtItsEnd(Vertx vertx) throws Exception {
    Context context = vertx.getOrCreateContext();
    FeedPacer pacer = new FeedPacer(vertx, INTERVAL, reads::incrementAndGet, clock::get);

    on(context, pacer::wake);
    assertEquals(1, reads.get(), "the first wake-up reads at once");

    clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
    on(context, () -> {
      pacer.wake();
      pacer.wake();
      pacer.wake();
    });
    assertEquals(1, reads.get(), "wake-ups 10 ms after a read wait for the interval's end");
    Poll.until(DEADLINE, "the waiting wake-ups are read", () -> reads.get() == 2);

    // Long after the last read: at once again.
    clock.addAndGet(INTERVAL.toNanos() * 5);
    on(context, pacer::wake);
    assertEquals(3, reads.get());
  }

  @Test
  void aZeroIntervalReadsEveryWakeUpAtOnce(Vertx vertx) throws Exception {
    Context context = vertx.getOrCreateContext();
    FeedPacer pacer = new FeedPacer(vertx, Duration.ZERO, reads::incrementAndGet, clock::get);
    on(context, () -> {
      pacer.wake();
      pacer.wake();
      pacer.wake();
    });
    assertEquals(3, reads.get());
  }

  @Test
  void cancelDropsTheWaitingWakeUp(Vertx vertx) throws Exception {
    Context context = vertx.getOrCreateContext();
    FeedPacer pacer = new FeedPacer(vertx, Duration.ofMillis(50), reads::incrementAndGet, clock::get);
    on(context, pacer::wake);
    on(context, () -> {
      pacer.wake();
      pacer.cancel();
    });
    // A pacer that kept its timer reads again 50 ms later; a later wake-up after the cancel still reads, so wait
    // for a marker read scheduled well after that.
    clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
    CompletableFuture<Void> later = new CompletableFuture<>();
    vertx.setTimer(300, t -> context.runOnContext(v -> later.complete(null)));
    later.get(10, TimeUnit.SECONDS);
    assertEquals(1, reads.get(), "the cancelled wake-up never read");
  }

  private static void on(Context context, Runnable action) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      action.run();
      done.complete(null);
    });
    done.get(10, TimeUnit.SECONDS);
  }
}
