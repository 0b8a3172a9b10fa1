package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Batches.u;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.LedgerException;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log is segmented at snapshots and bounded: two snapshots and the log since the older one stay on disk. */
class WalSegmentsTest {

  @TempDir
  Path dir;

  private EngineConfig config() {
    return new EngineConfig(dir, Duration.ZERO, true, false, false);
  }

  private static void accounts(LedgerEngine e) throws Exception {
    assertThat(e.createAccounts(List.of(Account.of(u(1), 1, 1, 0), Account.of(u(2), 1, 1, 0)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS)).isEmpty();
  }

  private static void batch(LedgerEngine e, int from) throws Exception {
    List<Transfer> t = new ArrayList<>();
    for (int i = 0; i < 50; i++) t.add(Transfer.of(u(from + i), u(1), u(2), u(1), 1, 1, 0));
    assertThat(e.createTransfers(t).toCompletableFuture().get(30, TimeUnit.SECONDS)).isEmpty();
  }

  private static Set<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    }
  }

  /** A segment's file and its commit file. */
  private static List<String> segment(long firstOp) {
    return List.of(Wal.segmentName(firstOp), CommitFile.name(firstOp));
  }

  private static List<String> files(Object... names) {
    List<String> out = new ArrayList<>();
    for (Object n : names) {
      if (n instanceof List<?> l) {
        for (Object x : l) out.add((String) x);
      } else {
        out.add((String) n);
      }
    }
    return out;
  }

  private static String snapshot(long op) {
    return String.format("snapshot-%020d.snap", op);
  }

  @Test
  void afterSeveralSnapshotsTheDirectoryHoldsTwoSnapshotsAndTheLogSinceTheOlder() throws Exception {
    String digest;
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e); // op 1
      for (int k = 0; k < 5; k++) {
        batch(e, 1 + k * 50); // ops 2, 4, 6, 8, 10 ... each followed by a second batch
        batch(e, 10_000 + k * 50);
        e.snapshotNow(); // at ops 3, 5, 7, 9, 11
        long newest = 3 + 2L * k;
        if (k == 0) {
          assertThat(names(dir)).containsExactlyInAnyOrderElementsOf(files("ledger.lock", snapshot(3), segment(1),
              segment(4)));
        } else {
          long older = newest - 2;
          assertThat(names(dir)).as("after the snapshot at op " + newest).containsExactlyInAnyOrderElementsOf(
              files("ledger.lock", snapshot(older), snapshot(newest), segment(older + 1), segment(newest + 1)));
        }
      }
      batch(e, 20_000); // op 12, the tail
      digest = e.stateDigest();
    }
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().snapshotOp()).isEqualTo(11);
      assertThat(e.recoveryInfo().replayedRecords()).isEqualTo(1);
      assertThat(e.stateDigest()).isEqualTo(digest);
      assertThat(e.lastOp()).isEqualTo(12);
    }
    LedgerVerifier.Report r = LedgerVerifier.verify(dir);
    assertThat(r.violations()).isEmpty();
    assertThat(r.notes()).anyMatch(n -> n.contains("replay starts from snapshot " + snapshot(9)))
        .anyMatch(n -> n.contains("replay to op 11 matches the snapshot byte for byte"));
    assertThat(r.transfers()).isEqualTo(550);
  }

  @Test
  void coveredSegmentsAreArchivedWhenAsked() throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config().withArchive(true))) {
      accounts(e);
      for (int k = 0; k < 3; k++) {
        batch(e, 1 + k * 50);
        e.snapshotNow(); // at ops 2, 3, 4
      }
    }
    assertThat(names(dir)).containsExactlyInAnyOrderElementsOf(files("ledger.lock", "archive", snapshot(3),
        snapshot(4), segment(4), segment(5)));
    assertThat(names(dir.resolve("archive"))).containsExactlyInAnyOrderElementsOf(files(segment(1), segment(3)));
    assertThat(LedgerVerifier.verify(dir).violations()).isEmpty();
  }

  @Test
  void aClosingSnapshotStartsANewSegmentAndTheNextStartReplaysNothing() throws Exception {
    EngineConfig c = new EngineConfig(dir, Duration.ZERO, true, false, true);
    try (LedgerEngine e = LedgerEngine.open(c)) {
      accounts(e);
      batch(e, 1);
    }
    assertThat(names(dir)).containsExactlyInAnyOrderElementsOf(files("ledger.lock", snapshot(2), segment(1),
        segment(3)));
    try (LedgerEngine e = LedgerEngine.open(c)) {
      assertThat(e.recoveryInfo().replayedRecords()).isZero();
      batch(e, 100);
    }
    assertThat(LedgerVerifier.verify(dir).violations()).isEmpty();
  }

  @Test
  void aVersionOneLogIsRefusedWithAClearMessage() throws Exception {
    Files.write(dir.resolve("ledger.wal"), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerException.class)
        .hasMessageContaining(dir.resolve("ledger.wal").toString()).hasMessageContaining("version-1");
    assertThat(LedgerVerifier.verify(dir).violations()).singleElement().asString().contains("version-1");
    // Refused before anything was written; the directory can be opened once the old log is moved away.
    Files.delete(dir.resolve("ledger.wal"));
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
    }
  }

  @Test
  void aVersionTwoLogIsRefusedWithAClearMessage() throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
    }
    // Rewrite the segment's header as the previous format wrote it (version 2, no commit files).
    Path seg = dir.resolve(Wal.segmentName(1));
    Files.delete(dir.resolve(CommitFile.name(1)));
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
      ByteBuffer h = Wal.segmentHeader(1).putLong(0, Wal.MAGIC_V2).putInt(8, 2);
      ch.write(h, 0);
    }
    assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerException.class)
        .hasMessageContaining(seg.toString()).hasMessageContaining("version-2")
        .hasMessageContaining("reads only version-3");
    assertThat(LedgerVerifier.verify(dir).violations()).singleElement().asString().contains("version-2");
  }

  @Test
  void theNewestSegmentWithoutItsCommitFileIsRefusedAndAnOrphanCommitFileIsRemoved() throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      batch(e, 1);
    }
    // A commit file whose segment was never renamed into place (a crash between the two): removed at start.
    Files.write(dir.resolve(CommitFile.name(7)), CommitFile.header(7).array());
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.lastOp()).isEqualTo(2);
    }
    assertThat(names(dir)).doesNotContain(CommitFile.name(7));
    Files.delete(dir.resolve(CommitFile.name(1)));
    assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerCorruptionException.class)
        .hasMessageContaining(dir.resolve(CommitFile.name(1)).toString()).hasMessageContaining("missing");
    assertThat(LedgerVerifier.verify(dir).violations()).singleElement().asString().contains("missing");
  }

  @Test
  void aMissingSegmentInTheMiddleRefusesToStart() throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      accounts(e);
      e.snapshotNow(); // at op 1: segment 2 starts
      batch(e, 1);
      e.snapshotNow(); // at op 2: segment 3 starts
      batch(e, 100);
    }
    // Without the newest snapshot, start-up needs segment 2 (op 2) after the snapshot at op 1.
    Files.delete(dir.resolve(snapshot(2)));
    Files.delete(dir.resolve(Wal.segmentName(2)));
    assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerCorruptionException.class)
        .hasMessageContaining("the log starts at op 3 but the snapshot ends at op 1");
    assertThat(LedgerVerifier.verify(dir).violations()).singleElement().asString()
        .contains("the log starts at op 3 but no snapshot covers the ops before it");
  }
}
