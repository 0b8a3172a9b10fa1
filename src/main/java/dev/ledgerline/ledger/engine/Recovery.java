package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.LedgerException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up of the embedded ledger: loads the newest snapshot, replays the log segments after it, checks the newest
 * segment against its commit file (an acknowledged group the segment lost stops the start), truncates a torn tail,
 * and opens the log for appending where the last whole group ends.
 */
final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerEngine.class);

  /** The rebuilt state, the last op in the log, what was found, and the writer that continues the log. */
  record Recovered(StateMachine sm, long opNumber, LedgerEngine.RecoveryInfo info, LogWriter writer) {}

  private Recovery() {}

  /** Recovers the ledger in {@code dir}, whose lock the caller holds; {@code onFatal} is the writer's halt. */
  static Recovered recover(Path dir, EngineConfig config, WalFiles files, Consumer<Throwable> onFatal, long started)
      throws IOException {
    removeLeftovers(dir);
    Path snapshot = Snapshots.latest(dir);
    StateMachine sm;
    long snapOp = 0;
    if (snapshot != null) {
      StateCodec.Loaded loaded = StateCodec.readSnapshot(snapshot);
      sm = loaded.sm();
      snapOp = loaded.opNumber();
    } else {
      sm = new StateMachine();
    }
    List<Wal.Segment> segments = Wal.segments(dir);
    if (segments.isEmpty()) {
      if (snapOp > 0) {
        throw new LedgerCorruptionException(snapshot, 0, "no log segment in " + dir + ": the log after the "
            + "snapshot's op " + snapOp + " is missing");
      }
      LogWriter.createSegment(dir, files, 1, config.fsync()).close();
      segments = Wal.segments(dir);
    }
    // Replay from the segment that holds the first op after the snapshot.
    int first = -1;
    for (int i = 0; i < segments.size(); i++) if (segments.get(i).firstOp() <= snapOp + 1) first = i;
    if (first < 0) {
      throw new LedgerCorruptionException(segments.get(0).file(), 0, "the log starts at op "
          + segments.get(0).firstOp() + " but the snapshot ends at op " + snapOp + ": ops in between are missing");
    }
    Replay replay = new Replay();
    long[] replayed = {0};
    final long snapshotOp = snapOp;
    Wal.Visitor apply = r -> {
      if (r.opNumber() <= snapshotOp) return;
      replay.apply(sm, r);
      replayed[0]++;
    };
    Wal.ScanResult scan = null;
    Wal.Segment tail = null;
    FileChannel tailChannel = null;
    long expected = segments.get(first).firstOp();
    for (int i = first; i < segments.size(); i++) {
      Wal.Segment seg = segments.get(i);
      boolean last = i == segments.size() - 1;
      if (seg.firstOp() != expected) {
        throw new LedgerCorruptionException(seg.file(), 0, "segment starts at op " + seg.firstOp()
            + " but the segment before it ends at op " + (expected - 1));
      }
      FileChannel ch = last ? files.open(seg.file()) : FileChannel.open(seg.file(), StandardOpenOption.READ);
      try {
        scan = Wal.scan(ch, seg, last, apply);
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      if (last) {
        tail = seg;
        tailChannel = ch;
      } else {
        ch.close();
      }
      expected = scan.lastOpNumber() + 1;
    }
    long opNumber = expected - 1;
    if (opNumber < snapOp) {
      tailChannel.close();
      throw new LedgerCorruptionException(tail.file(), scan.validEnd(), "the log ends at op " + opNumber
          + ", before the snapshot's op " + snapOp);
    }
    // The commit file decides what the segment alone cannot: whether a missing tail group was acknowledged.
    Path commitsPath = CommitFile.of(tail);
    if (!Files.exists(commitsPath)) {
      tailChannel.close();
      throw new LedgerCorruptionException(commitsPath, 0, "op " + (scan.lastOpNumber() + 1) + ": the commit file "
          + "of the newest segment " + tail.file().getFileName() + " is missing (it is created before its segment)");
    }
    FileChannel commitsChannel;
    CommitFile.Contents commits;
    try {
      commitsChannel = files.open(commitsPath);
    } catch (IOException | RuntimeException e) {
      tailChannel.close();
      throw e;
    }
    try {
      commits = CommitFile.read(commitsChannel, tail.firstOp());
      Wal.checkCommits(tail, scan, commits);
      if (commits.headerDamaged()) {
        LOG.warn("commit file {}: header damaged; starting it afresh (the segment's own markers prove its groups)",
            commitsPath);
        commitsChannel.close();
        commitsChannel = null;
        LogWriter.createFile(dir, files, CommitFile.name(tail.firstOp()), CommitFile.header(tail.firstOp()),
            config.fsync());
        if (config.fsync()) Snapshots.fsyncDirectory(dir);
        commitsChannel = files.open(commitsPath);
      } else if (commits.damaged() > 0) {
        LOG.warn("commit file {}: {} damaged entries ignored (the segment's own markers prove those groups)",
            commitsPath, commits.damaged());
      }
    } catch (IOException | RuntimeException e) {
      tailChannel.close();
      if (commitsChannel != null) commitsChannel.close();
      throw e;
    }
    boolean torn = scan.tornTail();
    if (torn) {
      LOG.warn("write-ahead log {}: torn group at byte offset {} ({}); it never got its commit marker to disk, so "
          + "it was never acknowledged; truncating {} bytes", tail.file(), scan.tornOffset(), scan.tornReason(),
          tailChannel.size() - scan.validEnd());
    }
    if (scan.validEnd() < tailChannel.size()) {
      // A torn group, or zeros preallocated before a crash: the segment restarts after its last whole group.
      tailChannel.truncate(scan.validEnd());
      tailChannel.force(true);
    }
    LedgerEngine.RecoveryInfo info = new LedgerEngine.RecoveryInfo(snapOp, replayed[0], opNumber, torn,
        torn ? scan.tornOffset() : -1, torn ? tail.file() : null, (System.nanoTime() - started) / 1_000_000);
    LOG.info("ledger engine opened {}: snapshot at op {}, {} log records replayed, {} ms", dir, snapOp, replayed[0],
        info.millis());
    LogWriter writer = new LogWriter(dir, files, tailChannel, commitsChannel,
        commits.headerDamaged() ? CommitFile.HEADER : commits.appendAt(), tail.firstOp(), scan.validEnd(), opNumber,
        config.fsync(), onFatal);
    return new Recovered(sm, opNumber, info, writer);
  }

  /** Removes what a crash can leave behind that records nothing, and refuses a log of the old format. */
  private static void removeLeftovers(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) Files.deleteIfExists(p);
    }
    // A commit file whose segment is absent was left by a crash between creating the two: it records nothing.
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".commits")).toList()) {
        String n = p.getFileName().toString();
        if (!Files.exists(p.resolveSibling(n.substring(0, n.length() - ".commits".length()) + ".wal"))) {
          Files.deleteIfExists(p);
        }
      }
    }
    Path legacy = dir.resolve(Wal.LEGACY_FILE);
    if (Files.exists(legacy)) {
      throw new LedgerException(legacy + " is a version-1 write-ahead log (one file, no commit markers); this "
          + "release reads only version-3 logs (ledger-<op>.wal segments with their .commits files). Start on a new "
          + "data directory, or run the previous release to read this one");
    }
  }
}
