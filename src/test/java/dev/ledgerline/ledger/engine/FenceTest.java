package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Batches.u;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.StaleEpochException;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fencing epochs: durable, monotonic, replayed and kept in snapshots, and without effect on accounts. */
class FenceTest {

  @TempDir
  Path dir;

  private EngineConfig config() {
    return new EngineConfig(dir, Duration.ZERO, true, false, false);
  }

  private static <T> T await(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void anEpochIsRecordedDurablyAndALowerOneIsRefused() throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.currentEpoch()).isZero();
      assertThat(e.lastOp()).isZero();
      assertThat(await(e.createAccounts(List.of(Account.of(u(1), 1, 1, 0), Account.of(u(2), 1, 1, 0))))).isEmpty();
      assertThat(await(e.createTransfers(List.of(Transfer.of(u(9), u(1), u(2), u(5), 1, 1, 0))))).isEmpty();
      String before = e.stateDigest();
      assertThat(e.lastOp()).isEqualTo(2);

      await(e.fence(3));
      assertThat(e.currentEpoch()).isEqualTo(3);
      assertThat(e.lastOp()).isEqualTo(3); // one durable epoch record
      assertThat(e.stateDigest()).as("an epoch changes no account or transfer").isEqualTo(before);

      await(e.fence(3)); // the same epoch again: nothing new to record
      assertThat(e.lastOp()).isEqualTo(3);
      assertThat(e.fence(2).toCompletableFuture()).failsWithin(30, TimeUnit.SECONDS)
          .withThrowableOfType(Exception.class).havingCause().isInstanceOf(StaleEpochException.class)
          .satisfies(ex -> {
            StaleEpochException stale = (StaleEpochException) ex;
            assertThat(stale.requested()).isEqualTo(2);
            assertThat(stale.current()).isEqualTo(3);
          });
      assertThat(e.fence(-1).toCompletableFuture()).failsWithin(30, TimeUnit.SECONDS)
          .withThrowableOfType(Exception.class).havingCause().isInstanceOf(IllegalArgumentException.class);
      assertThat(e.currentEpoch()).isEqualTo(3);
      assertThat(e.lastOp()).isEqualTo(3);
    }
    // Replayed from the log.
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().replayedRecords()).isEqualTo(3);
      assertThat(e.currentEpoch()).isEqualTo(3);
      assertThat(e.lastOp()).isEqualTo(3);
      assertThat(e.fence(2).toCompletableFuture()).failsWithin(30, TimeUnit.SECONDS)
          .withThrowableOfType(Exception.class).havingCause().isInstanceOf(StaleEpochException.class);
      await(e.fence(7));
      e.snapshotNow();
    }
    // Kept in the snapshot: nothing left to replay, the epoch is still there.
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().snapshotOp()).isEqualTo(4);
      assertThat(e.recoveryInfo().replayedRecords()).isZero();
      assertThat(e.currentEpoch()).isEqualTo(7);
      assertThat(e.lastOp()).isEqualTo(4);
    }
    LedgerVerifier.Report r = LedgerVerifier.verify(dir);
    assertThat(r.violations()).isEmpty();
    assertThat(r.notes()).anyMatch(n -> n.contains("replay to op 4 matches the snapshot byte for byte"));
  }
}
