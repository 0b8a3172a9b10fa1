package dev.ledgerline.ledger.engine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded ledger's snapshot files ({@code snapshot-<op>.snap}): writing one behind the durable log, and pruning
 * what the two newest cover (older snapshots, and log segments, deleted or moved to {@code archive/}).
 */
final class Snapshots {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerEngine.class);
  private static final String SNAPSHOT_PREFIX = "snapshot-";
  private static final String SNAPSHOT_SUFFIX = ".snap";
  private static final String ARCHIVE_DIR = "archive";

  private final Path dir;
  private final EngineConfig config;
  private final LogWriter writer;
  private final Consumer<Throwable> onFatal;
  private final Object pruneLock = new Object();

  Snapshots(Path dir, EngineConfig config, LogWriter writer, Consumer<Throwable> onFatal) {
    this.dir = dir;
    this.config = config;
    this.writer = writer;
    this.onFatal = onFatal;
  }

  static Path latest(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Snapshots::isSnapshot).max((a, b) -> Long.compare(op(a), op(b)))
          .orElse(null);
    }
  }

  static boolean isSnapshot(Path p) {
    String n = p.getFileName().toString();
    return n.startsWith(SNAPSHOT_PREFIX) && n.endsWith(SNAPSHOT_SUFFIX);
  }

  static long op(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring(SNAPSHOT_PREFIX.length(), n.length() - SNAPSHOT_SUFFIX.length()));
  }

  /**
   * Writes the snapshot of {@code view} once the log up to its op is durable, reports its op to {@code written},
   * and once the log has moved to the next segment ({@code rotated}) removes what the snapshots now cover.
   */
  void write(StateView view, CompletableFuture<Void> rotated, LongConsumer written) {
    Path tmp = dir.resolve(SNAPSHOT_PREFIX + String.format("%020d", view.opNumber) + SNAPSHOT_SUFFIX + ".tmp");
    Path target = dir.resolve(SNAPSHOT_PREFIX + String.format("%020d", view.opNumber) + SNAPSHOT_SUFFIX);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE)) {
        StateCodec.writeSnapshot(view, ch);
        // The snapshot may only become visible once the log it summarises is durable.
        if (!writer.awaitDurable(view.opNumber)) return;
        if (config.fsync()) ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      if (config.fsync()) fsyncDirectory(dir);
      written.accept(view.opNumber);
      LOG.info("ledger snapshot at op {} written: {}", view.opNumber, target);
      // The segment after the snapshot exists once the rotation is done: then the one before it is covered.
      try {
        rotated.get();
      } catch (java.util.concurrent.ExecutionException e) {
        return; // the log failed: the engine has halted; nothing to prune
      }
      prune();
    } catch (IOException e) {
      // A failed fsync is never retried: stop the engine for good.
      LOG.error("ledger snapshot failed; stopping the engine", e);
      onFatal.accept(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Keeps the two newest snapshots and the log after the older of them; removes (or archives) the rest. Segment k
   * ends where segment k+1 begins, so it is covered once the next segment starts at or before the older snapshot's
   * op + 1.
   */
  private void prune() throws IOException {
    // Not the engine's monitor: close() holds that while it waits for the snapshot thread.
    synchronized (pruneLock) {
      pruneLocked();
    }
  }

  private void pruneLocked() throws IOException {
    List<Path> snapshots;
    try (Stream<Path> s = Files.list(dir)) {
      snapshots = s.filter(Snapshots::isSnapshot).sorted((a, b) -> Long.compare(op(a), op(b)))
          .toList();
    }
    if (snapshots.size() < 2) return;
    long covered = op(snapshots.get(snapshots.size() - 2));
    List<Wal.Segment> segments = Wal.segments(dir);
    for (int i = 0; i + 1 < segments.size(); i++) {
      if (segments.get(i + 1).firstOp() - 1 > covered) break;
      Path seg = segments.get(i).file();
      Path commits = CommitFile.of(segments.get(i));
      if (config.archive()) {
        Path archive = Files.createDirectories(dir.resolve(ARCHIVE_DIR));
        // The commit file first: a segment never stays behind without its commit file.
        if (Files.exists(commits)) {
          Files.move(commits, archive.resolve(commits.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(seg, archive.resolve(seg.getFileName()), StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.deleteIfExists(commits);
        Files.delete(seg);
      }
      LOG.info("write-ahead log segment {} {} (covered by the snapshot at op {})", seg.getFileName(),
          config.archive() ? "archived" : "deleted", covered);
    }
    for (Path p : snapshots.subList(0, snapshots.size() - 2)) Files.deleteIfExists(p);
    if (config.fsync()) fsyncDirectory(dir);
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory for fsync; the rename itself is still atomic.
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return;
      throw e;
    }
  }
}
