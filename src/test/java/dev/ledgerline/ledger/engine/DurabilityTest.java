package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Batches.u;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.BatchTooLargeException;
import dev.ledgerline.ledger.LedgerException;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.Poll;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurabilityTest {

  @TempDir
  Path dir;

  private EngineConfig config() {
    return new EngineConfig(dir, Duration.ZERO, true, false, false);
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static void accounts(LedgerEngine e) throws Exception {
    List<Account> a = new ArrayList<>();
    for (int i = 1; i <= 4; i++) a.add(Account.of(u(i), 1, 1, 0));
    assertThat(await(e.createAccounts(a))).isEmpty();
  }

  /** A closed engine whose log holds the four accounts, then transfer batches of these sizes, all accepted. */
  private void logWith(int... batchSizes) throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      int from = 1;
      for (int n : batchSizes) {
        assertThat(batch(e, from, n)).isEmpty();
        from += n;
      }
    }
  }

  private static List<CreateTransfersResult> batch(LedgerEngine e, int from, int n) throws Exception {
    List<Transfer> t = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = from + i;
      t.add(Transfer.of(u(id), u(1 + id % 4), u(1 + (id + 1) % 4), u(id), 1, 1,
          id % 5 == 0 ? TransferFlags.PENDING : 0));
    }
    return await(e.createTransfers(t));
  }

  @Test
  void reopenReplaysTheLogToTheSameState() throws Exception {
    String digest;
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      for (int b = 0; b < 5; b++) assertThat(batch(e, 1 + b * 100, 100)).isEmpty();
      digest = e.stateDigest();
    }
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().replayedRecords()).isEqualTo(6);
      assertThat(e.stateDigest()).isEqualTo(digest);
      assertThat(await(e.lookupTransfers(List.of(u(250)))).get(0).amount()).isEqualTo(u(250));
    }
  }

  @Test
  void snapshotPlusLogTailGivesTheSameStateAndVerifies() throws Exception {
    String digest;
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      assertThat(batch(e, 1, 300)).isEmpty();
      e.snapshotNow();
      assertThat(batch(e, 301, 300)).isEmpty();
      digest = e.stateDigest();
    }
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().snapshotOp()).isEqualTo(2);
      assertThat(e.recoveryInfo().replayedRecords()).isEqualTo(1);
      assertThat(e.stateDigest()).isEqualTo(digest);
    }
    LedgerVerifier.Report r = LedgerVerifier.verify(dir);
    assertThat(r.violations()).isEmpty();
    assertThat(r.notes()).anyMatch(n -> n.contains("matches the snapshot byte for byte"));
    assertThat(r.transfers()).isEqualTo(600);
  }

  @Test
  void periodicSnapshotsHappenInTheBackground() throws Exception {
    EngineConfig c = new EngineConfig(dir, Duration.ofMillis(50), true, false, false);
    try (LedgerEngine e = LedgerEngine.open(c)) {
      accounts(e);
      int[] from = {1};
      // Writes keep coming while the snapshot is awaited, as they would in production.
      Poll.until(Duration.ofSeconds(20), "a snapshot taken in the background", () -> {
        if (LedgerEngine.latestSnapshot(dir) != null) {
          return true;
        }
        assertThat(batch(e, from[0], 10)).isEmpty();
        from[0] += 10;
        return false;
      });
    }
    assertThat(LedgerEngine.latestSnapshot(dir)).isNotNull();
    assertThat(LedgerVerifier.verify(dir).violations()).isEmpty();
  }

  @Test
  void tornTailIsTruncatedToTheLastWholeBatch() throws Exception {
    String before;
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      assertThat(batch(e, 1, 50)).isEmpty();
      before = e.stateDigest();
      assertThat(batch(e, 51, 50)).isEmpty();
    }
    Path wal = lastSegment();
    long size = Files.size(wal);
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      f.setLength(size - 100); // cut into the last record's body
    }
    // A crash before that group's fsync returned: its entry never reached the commit file either.
    Path commits = CommitFile.of(Wal.segments(dir).get(Wal.segments(dir).size() - 1));
    try (RandomAccessFile f = new RandomAccessFile(commits.toFile(), "rw")) {
      f.setLength(f.length() - CommitFile.ENTRY);
    }
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().truncatedTornTail()).isTrue();
      assertThat(e.stateDigest()).isEqualTo(before);
      assertThat(await(e.lookupTransfers(List.of(u(60))))).isEmpty();
      // The engine continues after the truncated tail.
      assertThat(batch(e, 51, 50)).isEmpty();
    }
    assertThat(Files.size(wal)).isEqualTo(size);
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().truncatedTornTail()).isFalse();
    }
  }

  @Test
  void partialHeaderAtTheTailIsTorn() throws Exception {
    logWith(10);
    Path wal = lastSegment();
    long size = Files.size(wal);
    Files.write(wal, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, java.nio.file.StandardOpenOption.APPEND);
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().truncatedTornTail()).isTrue();
      assertThat(e.recoveryInfo().tornTailOffset()).isEqualTo(size);
    }
    assertThat(Files.size(wal)).isEqualTo(size);
  }

  @Test
  void flippedBitBeforeTheTailRefusesToStartNamingTheOffset() throws Exception {
    logWith(10, 10);
    Path wal = lastSegment();
    long secondRecord = Wal.SEGMENT_HEADER + Wal.HEADER + 4 * 128 + Wal.MARKER; // after the accounts group
    flip(wal, secondRecord + Wal.HEADER + 200); // inside the second record's body
    assertThatThrownBy(() -> LedgerEngine.open(config()))
        .isInstanceOf(LedgerCorruptionException.class)
        .hasMessageContaining(wal.toString())
        .hasMessageContaining("byte offset " + secondRecord)
        .satisfies(ex -> assertThat(((LedgerCorruptionException) ex).offset()).isEqualTo(secondRecord));
    // verify reports the same corruption.
    assertThat(LedgerVerifier.verify(dir).violations()).singleElement().asString()
        .contains("byte offset " + secondRecord);
  }

  @Test
  void flippedBitInAHeaderRefusesToStart() throws Exception {
    logWith(10);
    Path wal = lastSegment();
    flip(wal, Wal.SEGMENT_HEADER + 9); // the first record's op number
    assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerCorruptionException.class)
        .hasMessageContaining("byte offset " + Wal.SEGMENT_HEADER);
  }

  @Test
  void corruptSnapshotRefusesToStart() throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      assertThat(batch(e, 1, 100)).isEmpty();
      e.snapshotNow();
    }
    Path snap = LedgerEngine.latestSnapshot(dir);
    assertThat(snap).isNotNull();
    flip(snap, 200);
    assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerCorruptionException.class)
        .hasMessageContaining(snap.toString()).hasMessageContaining("checksum");
    assertThat(LedgerVerifier.verify(dir).clean()).isFalse();
  }

  @Test
  void fsyncOffIsRefusedWithoutTheUnsafeFlag() {
    assertThatThrownBy(() -> new EngineConfig(dir, Duration.ZERO, false, false, false))
        .isInstanceOf(LedgerException.class).hasMessageContaining("unsafe-no-fsync");
    assertThat(new EngineConfig(dir, Duration.ZERO, false, true, false).fsync()).isFalse();
    EngineConfig fromKeys = EngineConfig.from(k -> switch (k) {
      case "ledger.engine.data-dir" -> "x/y";
      case "ledger.engine.snapshot-interval" -> "5s";
      default -> null;
    });
    assertThat(fromKeys.dataDir()).isEqualTo(Path.of("x/y"));
    assertThat(fromKeys.snapshotInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(fromKeys.fsync()).isTrue();
    assertThatThrownBy(() -> EngineConfig.from(k -> k.endsWith("fsync") ? "false" : null))
        .isInstanceOf(LedgerException.class);
  }

  @Test
  void moreThan8190EventsIsATypedError() throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      List<Transfer> t = Collections.nCopies(8191, Transfer.of(u(1), u(1), u(2), u(1), 1, 1, 0));
      assertThatThrownBy(() -> await(e.createTransfers(t))).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(BatchTooLargeException.class);
      assertThat(await(e.createTransfers(List.of()))).isEmpty();
      assertThat(await(e.getAccountTransfers(AccountFilter.of(u(1), 10)))).isEmpty();
    }
  }

  @Test
  void aDataDirectoryIsUsedByOneEngineOnly() {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerException.class)
          .hasMessageContaining("in use");
    }
  }

  @Test
  void timestampsAreStrictlyIncreasingAcrossRestarts() throws Exception {
    long last;
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      assertThat(batch(e, 1, 3)).isEmpty();
      last = await(e.lookupTransfers(List.of(u(3)))).get(0).timestamp();
    }
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(batch(e, 4, 1)).isEmpty();
      assertThat(await(e.lookupTransfers(List.of(u(4)))).get(0).timestamp()).isGreaterThan(last);
    }
    assertThat(UInt128.ONE).isNotNull();
  }

  @Test
  void pendingTransfersExpireOnTheRealClockAndTheExpiryIsReplayed() throws Exception {
    String digest;
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      Transfer pending = Transfer.of(u(1), u(1), u(2), u(7), 1, 1, TransferFlags.PENDING)
          .withPending(UInt128.ZERO, 1);
      assertThat(await(e.createTransfers(List.of(pending)))).isEmpty();
      Poll.until(Duration.ofSeconds(10), "the pending transfer expires",
          () -> await(e.lookupAccounts(List.of(u(1)))).get(0).debitsPending().isZero());
      assertThat(await(e.lookupAccounts(List.of(u(1)))).get(0).debitsPending()).isEqualTo(UInt128.ZERO);
      Transfer post = new Transfer(u(2), UInt128.ZERO, UInt128.ZERO, UInt128.MAX, u(1), UInt128.ZERO, 0, 0, 0, 0, 0,
          TransferFlags.POST_PENDING_TRANSFER, 0);
      assertThat(await(e.createTransfers(List.of(post)))).singleElement()
          .extracting(CreateTransfersResult::result)
          .isEqualTo(dev.ledgerline.ledger.model.CreateTransferResult.PENDING_TRANSFER_EXPIRED);
      digest = e.stateDigest();
    }
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.stateDigest()).isEqualTo(digest);
      assertThat(await(e.lookupAccounts(List.of(u(1)))).get(0).debitsPending()).isEqualTo(UInt128.ZERO);
    }
    assertThat(LedgerVerifier.verify(dir).violations()).isEmpty();
  }

  private Path lastSegment() throws IOException {
    List<Wal.Segment> segments = Wal.segments(dir);
    return segments.get(segments.size() - 1).file();
  }

  private static void flip(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x10);
    }
  }
}
