package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Batches.u;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerOutcomeUnknownException;
import dev.ledgerline.ledger.LedgerUnavailableException;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed fsync stops the log for good: the batch being made durable is answered "outcome unknown" (its bytes may
 * be on disk), nothing is retried, the engine halts, and a restart replays whatever reached the disk.
 */
class FsyncFailureTest {

  @TempDir
  Path dir;

  /** One group of transfers for the writer; the future completes with "durable" once it is, or fails. */
  private static CompletableFuture<String> enqueue(LogWriter w, long op, long timestamp, ByteBuffer body) {
    CompletableFuture<String> done = new CompletableFuture<>();
    w.enqueue(new LogWriter.Item(op, timestamp, Wal.OP_CREATE_TRANSFERS, body, () -> done.complete("durable"),
        done::completeExceptionally));
    return done;
  }

  @Test
  void failedFsyncFailsTheBatchAsOutcomeUnknownAndStopsForGood() throws Exception {
    AtomicBoolean failing = new AtomicBoolean();
    FailingChannel ch = new FailingChannel(FileChannel.open(dir.resolve("log"), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE), failing);
    AtomicReference<Throwable> fatal = new AtomicReference<>();
    LogWriter w = new LogWriter(ch, 0, 0, true, fatal::set);
    ByteBuffer body = ByteBuffer.allocate(128);
    CompletableFuture<String> first = enqueue(w, 1, 10, body);
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("durable");

    failing.set(true);
    CompletableFuture<String> second = enqueue(w, 2, 11, body);
    assertThat(second).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
        .havingCause().isInstanceOf(LedgerOutcomeUnknownException.class);
    assertThat(fatal.get()).hasMessageContaining("EIO");
    int forcesAfterFailure = ch.forces.get();

    // Later requests fail at once and were never written; fsync is never tried again, even if the disk "recovers".
    failing.set(false);
    CompletableFuture<String> third = enqueue(w, 3, 12, body);
    assertThat(third).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
        .havingCause().isNotInstanceOf(LedgerOutcomeUnknownException.class);
    assertThat(ch.forces.get()).isEqualTo(forcesAfterFailure);
    assertThat(w.durableOp()).isEqualTo(1);
    w.stop();
    ch.close();
  }

  @Test
  void theEngineHaltsAnswersOutcomeUnknownAndARestartReplaysWhatReachedTheDisk() throws Exception {
    AtomicBoolean failing = new AtomicBoolean();
    EngineConfig config = new EngineConfig(dir, Duration.ZERO, true, false, true);
    Transfer written = Transfer.of(u(10), u(1), u(2), u(5), 1, 1, 0);
    try (LedgerEngine e = LedgerEngine.open(config, EngineClock.SYSTEM, false, FailingChannel.files(failing))) {
      assertThat(e.createAccounts(List.of(Account.of(u(1), 1, 1, 0), Account.of(u(2), 1, 1, 0)))
          .toCompletableFuture().get(10, TimeUnit.SECONDS)).isEmpty();
      assertThat(e.haltReason()).isEmpty();
      failing.set(true);
      assertThat(e.createTransfers(List.of(written)).toCompletableFuture())
          .failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
          .havingCause().isInstanceOf(LedgerOutcomeUnknownException.class);
      assertThat(e.haltReason()).hasValueSatisfying(r -> assertThat(r).contains("EIO"));
      // Halted: later writes and reads are refused as unavailable (nothing of them was written).
      failing.set(false);
      assertThat(e.createTransfers(List.of(Transfer.of(u(11), u(1), u(2), u(5), 1, 1, 0))).toCompletableFuture())
          .failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
          .havingCause().isInstanceOf(LedgerUnavailableException.class);
      assertThat(e.lookupAccounts(List.of(u(1))).toCompletableFuture())
          .failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
          .havingCause().isInstanceOf(LedgerUnavailableException.class);
    }
    // The failed batch's bytes reached the file (only its fsync failed): it replays. That is why the answer was
    // "outcome unknown" and not "failed".
    try (LedgerEngine e = LedgerEngine.open(config)) {
      assertThat(e.haltReason()).isEmpty();
      assertThat(e.lookupTransfers(List.of(u(10), u(11))).toCompletableFuture().get(10, TimeUnit.SECONDS))
          .extracting(Transfer::id).containsExactly(u(10));
    }
  }
}
