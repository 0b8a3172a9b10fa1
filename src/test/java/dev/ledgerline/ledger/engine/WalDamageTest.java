package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Batches.u;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage at chosen places of a real log: 21 groups of 100 acknowledged transfers (one account moves 1 per transfer)
 * after the accounts' group, the node "killed" (preallocated zeros left after the last group and after the commit
 * file's last entry), then pages zeroed or bits flipped in the segment and in its commit file. Each row says where the
 * damage is and what a restart must do: start (cutting off only a group that never got its commit marker to disk,
 * which a commit file without that group's entry confirms) or refuse, naming the segment, the offset and the op.
 */
class WalDamageTest {
  private static final int BATCHES = 21;
  private static final int PER_BATCH = 100;
  private static final int PAGE = 4096;
  /** Accounts' group: one record of two accounts, then the marker. */
  private static final long ACCOUNTS_GROUP = Wal.HEADER + 2 * 128 + Wal.MARKER;
  private static final long BATCH_GROUP = Wal.HEADER + PER_BATCH * 128 + Wal.MARKER;

  @TempDir
  Path dir;

  enum Outcome { STARTS, TRUNCATES_LAST_GROUP, REFUSES }

  /** One way to damage the segment file. */
  interface Damage {
    void apply(RandomAccessFile f) throws IOException;
  }

  /**
   * @param place where the damage is
   * @param damage what is done to the segment
   * @param commits what is done to the segment's commit file (KEPT: as written, every group acknowledged)
   * @param outcome what a restart does
   * @param refusedAt for REFUSES: the byte offset the error names
   * @param refusedOp for REFUSES: the op the error names (op 1 = the accounts, op k + 1 = group k)
   * @param transfersAfter for a start: transfers the account shows
   */
  record Row(String place, Damage damage, Damage commits, Outcome outcome, long refusedAt, long refusedOp,
      int transfersAfter) {
    @Override
    public String toString() {
      return place;
    }
  }

  /** A row, named by where the damage is; segment and commit file are kept unless a step says otherwise. */
  static RowBuilder at(String place) {
    return new RowBuilder(place);
  }

  static final class RowBuilder {
    private final String place;
    private Damage segment = KEPT;
    private Damage commitFile = KEPT;

    private RowBuilder(String place) {
      this.place = place;
    }

    RowBuilder segment(Damage damage) {
      segment = damage;
      return this;
    }

    RowBuilder commitFile(Damage damage) {
      commitFile = damage;
      return this;
    }

    Row starts(int transfersAfter) {
      return new Row(place, segment, commitFile, Outcome.STARTS, -1, -1, transfersAfter);
    }

    Row truncatesLastGroup(int transfersAfter) {
      return new Row(place, segment, commitFile, Outcome.TRUNCATES_LAST_GROUP, -1, -1, transfersAfter);
    }

    /** The restart refuses, naming this byte offset and op; the account is never read. */
    Row refuses(long offset, long op) {
      return new Row(place, segment, commitFile, Outcome.REFUSES, offset, op, BATCHES * PER_BATCH);
    }
  }

  /** First byte of batch group {@code k} (1-based). */
  static long group(int k) {
    return Wal.SEGMENT_HEADER + ACCOUNTS_GROUP + (k - 1) * BATCH_GROUP;
  }

  static long groupEnd(int k) {
    return group(k) + BATCH_GROUP;
  }

  /** First byte of the commit file's entry for batch group {@code k} (entry 0 is the accounts' group). */
  static long entry(int k) {
    return CommitFile.HEADER + (long) k * CommitFile.ENTRY;
  }

  static final Damage KEPT = f -> { };
  /** The last group's entry never reached the commit file: a crash before that group was acknowledged. */
  static final Damage LAST_ENTRY_LOST = zeroRange(entry(BATCHES), CommitFile.ENTRY);

  static long pageOf(long offset) {
    return offset / PAGE * PAGE;
  }

  static Stream<Row> rows() {
    long last = group(BATCHES);
    long lastBody = last + Wal.HEADER;
    long lastMarker = groupEnd(BATCHES) - Wal.MARKER;
    int all = BATCHES * PER_BATCH;
    int allButLast = (BATCHES - 1) * PER_BATCH;
    return Stream.of(
        // Outcome.STARTS
        at("nothing damaged").starts(all),
        at("the last group's marker durable, its commit entry not yet (crash between the two fsyncs)")
            .commitFile(LAST_ENTRY_LOST).starts(all),
        at("the commit file's page of entries zeroed, the log intact")
            .commitFile(zeroRange(entry(0), entry(BATCHES + 1) - entry(0))).starts(all),
        at("the commit file's first page zeroed (header and entries), the log intact")
            .commitFile(zeroPage(0)).starts(all),
        at("a bit flipped in the commit file's last entry, the log intact")
            .commitFile(flip(entry(BATCHES) + 9)).starts(all),
        // Outcome.TRUNCATES_LAST_GROUP
        at("the page holding the last group's marker never written (crash before its fsync)")
            .segment(zeroFrom(pageOf(lastMarker))).commitFile(LAST_ENTRY_LOST).truncatesLastGroup(allButLast),
        at("the last group written up to a page boundary (crash during the write)")
            .segment(zeroFrom(pageOf(lastBody) + PAGE)).commitFile(LAST_ENTRY_LOST).truncatesLastGroup(allButLast),
        at("the last group's header page lost, later pages kept, no marker (power loss)")
            .segment(zeroLastGroupExcept(pageOf(last), pageOf(lastMarker))).commitFile(LAST_ENTRY_LOST)
            .truncatesLastGroup(allButLast),
        at("bytes in the preallocated space after the last group")
            .segment(write(groupEnd(BATCHES) + 100)).truncatesLastGroup(all),
        at("the commit file's entries for groups 3..9 zeroed, the log tail torn without an entry")
            .segment(zeroFrom(pageOf(lastBody) + PAGE)).commitFile(f -> {
              zeroRange(entry(3), 7 * CommitFile.ENTRY).apply(f);
              LAST_ENTRY_LOST.apply(f);
            }).truncatesLastGroup(allButLast),
        // Outcome.REFUSES
        at("a bit flipped in the last record's body").segment(flip(lastBody + 5000)).refuses(last, 22),
        at("a 4 KiB page zeroed inside the last record (its marker intact)")
            .segment(zeroPage(lastBody + 6000)).refuses(last, 22),
        at("a bit flipped in the last group's commit marker").segment(flip(lastMarker + 10)).refuses(lastMarker, 22),
        at("the page holding the last group's marker lost after it was acknowledged (commit file has it)")
            .segment(zeroFrom(pageOf(lastMarker))).refuses(last, 22),
        at("the whole last group lost after it was acknowledged (commit file has it)")
            .segment(zeroFrom(last)).refuses(last, 22),
        at("a page spanning the last two groups lost, the last marker kept")
            .segment(zeroPage(last)).refuses(group(BATCHES - 1), 21),
        at("a 4 KiB page zeroed inside group 10").segment(zeroPage(group(10) + Wal.HEADER + 6000))
            .refuses(group(10), 11),
        at("a bit flipped in group 5's record header").segment(flip(group(5) + 9)).refuses(group(5), 6),
        at("a bit flipped in the accounts' record body").segment(flip(Wal.SEGMENT_HEADER + Wal.HEADER + 20))
            .refuses(Wal.SEGMENT_HEADER, 1),
        at("the segment header damaged").segment(flip(20)).refuses(0, 1));
  }

  static Damage flip(long offset) {
    return f -> {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x04);
    };
  }

  static Damage zeroPage(long offset) {
    return f -> {
      f.seek(pageOf(offset));
      f.write(new byte[PAGE]);
    };
  }

  /** Zeros from {@code offset} to the end of the last group: what a write cut short leaves in preallocated space. */
  static Damage zeroFrom(long offset) {
    return f -> {
      f.seek(offset);
      f.write(new byte[(int) (groupEnd(BATCHES) - offset)]);
    };
  }

  /** Loses the last group's share of {@code firstPage} and everything from {@code markerPage} on; keeps between. */
  static Damage zeroLastGroupExcept(long firstPage, long markerPage) {
    return f -> {
      zeroFrom(markerPage).apply(f);
      f.seek(group(BATCHES));
      f.write(new byte[(int) (firstPage + PAGE - group(BATCHES))]);
    };
  }

  static Damage zeroRange(long offset, long length) {
    return f -> {
      f.seek(offset);
      f.write(new byte[(int) length]);
    };
  }

  static Damage write(long offset) {
    return f -> {
      f.seek(offset);
      f.write(new byte[] {1, 2, 3});
    };
  }

  private EngineConfig config() {
    return new EngineConfig(dir, Duration.ZERO, true, false, false);
  }

  private Path buildLog() throws Exception {
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.createAccounts(List.of(Account.of(u(1), 1, 1, 0), Account.of(u(2), 1, 1, 0)))
          .toCompletableFuture().get(30, TimeUnit.SECONDS)).isEmpty();
      for (int b = 0; b < BATCHES; b++) {
        List<Transfer> batch = new ArrayList<>();
        for (int i = 0; i < PER_BATCH; i++) {
          batch.add(Transfer.of(u(1 + b * PER_BATCH + i), u(1), u(2), UInt128.ONE, 1, 1, 0));
        }
        assertThat(e.createTransfers(batch).toCompletableFuture().get(30, TimeUnit.SECONDS)).isEmpty();
      }
    }
    List<Wal.Segment> segments = Wal.segments(dir);
    assertThat(segments).hasSize(1);
    Path file = segments.get(0).file();
    // One group per acknowledged request: the layout the rows compute offsets from.
    assertThat(Files.size(file)).isEqualTo(groupEnd(BATCHES));
    // A killed node leaves its preallocated zeros after the last group (a clean stop trims them).
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(groupEnd(BATCHES) + LogWriter.PREALLOCATE);
    }
    // Its commit file: one entry per group, then preallocated zeros.
    Path commits = CommitFile.of(segments.get(0));
    assertThat(Files.size(commits)).isEqualTo(entry(BATCHES + 1));
    try (RandomAccessFile f = new RandomAccessFile(commits.toFile(), "rw")) {
      f.setLength(entry(BATCHES + 1) + CommitFile.PREALLOCATE);
    }
    return file;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void restartAfterDamage(Row row) throws Exception {
    Path file = buildLog();
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      row.damage().apply(f);
    }
    try (RandomAccessFile f = new RandomAccessFile(CommitFile.of(Wal.segments(dir).get(0)).toFile(), "rw")) {
      row.commits().apply(f);
    }
    if (row.outcome() == Outcome.REFUSES) {
      assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerCorruptionException.class)
          .hasMessageContaining(file.toString()).hasMessageContaining("byte offset " + row.refusedAt())
          .hasMessageContaining("op " + row.refusedOp() + ":")
          .satisfies(ex -> assertThat(((LedgerCorruptionException) ex).offset()).isEqualTo(row.refusedAt()));
      // verify names the same place, and the directory is left as it was.
      assertThat(LedgerVerifier.verify(dir).violations()).singleElement().asString()
          .contains(file.toString()).contains("byte offset " + row.refusedAt());
      assertThatThrownBy(() -> LedgerEngine.open(config())).isInstanceOf(LedgerCorruptionException.class);
      return;
    }
    try (LedgerEngine e = LedgerEngine.open(config())) {
      assertThat(e.recoveryInfo().truncatedTornTail()).isEqualTo(row.outcome() == Outcome.TRUNCATES_LAST_GROUP);
      if (row.outcome() == Outcome.TRUNCATES_LAST_GROUP && row.transfersAfter() < BATCHES * PER_BATCH) {
        assertThat(e.recoveryInfo().tornTailOffset()).isEqualTo(group(BATCHES));
      }
      Account credited = e.lookupAccounts(List.of(u(2))).toCompletableFuture().get(30, TimeUnit.SECONDS).get(0);
      assertThat(credited.creditsPosted()).isEqualTo(UInt128.of(row.transfersAfter()));
      // The engine goes on writing after the cut.
      assertThat(e.createTransfers(List.of(Transfer.of(u(100_000), u(1), u(2), UInt128.ONE, 1, 1, 0)))
          .toCompletableFuture().get(30, TimeUnit.SECONDS)).isEmpty();
    }
    assertThat(LedgerVerifier.verify(dir).violations()).isEmpty();
  }
}
