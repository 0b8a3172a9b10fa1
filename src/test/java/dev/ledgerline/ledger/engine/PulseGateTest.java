package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Batches.u;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's own timer appends an expiry pulse only while its pulse gate allows it: a node that may not write (no
 * write lease) does not grow its log; once allowed, the due pulse is appended and expires the transfer.
 */
class PulseGateTest {
  private static final long SECOND = 1_000_000_000L;

  @TempDir
  Path dir;

  private static <T> T await(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static UInt128 debitsPending(LedgerEngine e) throws Exception {
    return await(e.lookupAccounts(List.of(u(1)))).get(0).debitsPending();
  }

  @Test
  void aDuePulseWaitsForTheGate() throws Exception {
    AtomicLong now = new AtomicLong(EngineClock.SYSTEM.nowNanos());
    AtomicBoolean allowed = new AtomicBoolean(false);
    AtomicInteger asked = new AtomicInteger();
    EngineConfig config = new EngineConfig(dir, Duration.ZERO, true, false, false);
    try (LedgerEngine e = LedgerEngine.open(config, now::get, false)) {
      e.pulseGate(() -> {
        asked.incrementAndGet();
        return allowed.get();
      });
      assertThat(await(e.createAccounts(List.of(Account.of(u(1), 1, 1, 0), Account.of(u(2), 1, 1, 0))))).isEmpty();
      Transfer pending = Transfer.of(u(9), u(1), u(2), u(5), 1, 1, TransferFlags.PENDING).withPending(UInt128.ZERO, 1);
      assertThat(await(e.createTransfers(List.of(pending)))).isEmpty();
      assertThat(e.lastOp()).isEqualTo(2);
      assertThat(asked.get()).as("nothing due yet: the gate is not asked").isZero();

      now.addAndGet(2 * SECOND); // the transfer's timeout has passed
      Poll.until(Duration.ofSeconds(10), "the timer asks the gate for the due pulse", () -> asked.get() >= 3);
      assertThat(e.lastOp()).as("no pulse appended while the gate says no").isEqualTo(2);
      assertThat(debitsPending(e)).isEqualTo(u(5));

      allowed.set(true);
      Poll.until(Duration.ofSeconds(10), "the pulse is appended once allowed", () -> e.lastOp() == 3);
      assertThat(debitsPending(e)).isEqualTo(UInt128.ZERO);
    }
  }

  @Test
  void aGateThatThrowsHoldsThePulseWithoutHaltingTheEngine() throws Exception {
    AtomicLong now = new AtomicLong(EngineClock.SYSTEM.nowNanos());
    AtomicInteger asked = new AtomicInteger();
    EngineConfig config = new EngineConfig(dir, Duration.ZERO, true, false, false);
    try (LedgerEngine e = LedgerEngine.open(config, now::get, false)) {
      e.pulseGate(() -> {
        asked.incrementAndGet();
        throw new IllegalStateException("lease store unreachable");
      });
      assertThat(await(e.createAccounts(List.of(Account.of(u(1), 1, 1, 0), Account.of(u(2), 1, 1, 0))))).isEmpty();
      Transfer pending = Transfer.of(u(9), u(1), u(2), u(5), 1, 1, TransferFlags.PENDING).withPending(UInt128.ZERO, 1);
      assertThat(await(e.createTransfers(List.of(pending)))).isEmpty();
      now.addAndGet(2 * SECOND);
      Poll.until(Duration.ofSeconds(10), "the timer asks the gate", () -> asked.get() >= 3);
      assertThat(e.lastOp()).isEqualTo(2);
      assertThat(e.haltReason()).isEmpty();
    }
  }
}
