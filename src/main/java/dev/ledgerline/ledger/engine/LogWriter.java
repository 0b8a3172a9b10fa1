package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.LedgerOutcomeUnknownException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends records to the write-ahead log on its own thread and completes requests only after the fsync that covers
 * them (group commit: everything queued since the last fsync shares one write, sealed by one commit marker, and one
 * fsync; then a copy of the marker goes to the segment's commit file and is fsync'd too; see {@link Wal} and
 * {@link CommitFile}). Items without a record (reads) complete in order behind the writes before them. A failed
 * write or fsync stops the log for good: fsync is never retried, because after a failed fsync the kernel may have
 * dropped the dirty pages.
 */
final class LogWriter implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(LogWriter.class);

  private enum Kind { RECORD, COMPLETION, ROTATE, STOP }

  /**
   * A record to append (its header and checksums are computed on the log thread, off the engine thread), a
   * completion to run in order behind the writes before it, or a request to start a new segment.
   */
  static final class Item {
    final Kind kind;
    final long opNumber;
    final long timestamp;
    final int operation;
    final ByteBuffer body;
    final Runnable onDurable;
    final Consumer<Throwable> onFailure;

    private Item(Kind kind, long opNumber, long timestamp, int operation, ByteBuffer body, Runnable onDurable,
        Consumer<Throwable> onFailure) {
      this.kind = kind;
      this.opNumber = opNumber;
      this.timestamp = timestamp;
      this.operation = operation;
      this.body = body;
      this.onDurable = onDurable;
      this.onFailure = onFailure;
    }

    Item(long opNumber, long timestamp, int operation, ByteBuffer body, Runnable onDurable,
        Consumer<Throwable> onFailure) {
      this(Kind.RECORD, opNumber, timestamp, operation, body, onDurable, onFailure);
    }

    static Item completion(Runnable onDurable, Consumer<Throwable> onFailure) {
      return new Item(Kind.COMPLETION, 0, 0, 0, null, onDurable, onFailure);
    }

    /**
     * Starts segment {@code firstOp} once every record before it is durable (nothing to do if that is the current
     * one), then runs {@code onDone}.
     */
    static Item rotate(long firstOp, Runnable onDone, Consumer<Throwable> onFailure) {
      return new Item(Kind.ROTATE, firstOp, 0, 0, null, onDone, onFailure);
    }

    Runnable onDurable() {
      return onDurable;
    }

    Consumer<Throwable> onFailure() {
      return onFailure;
    }
  }

  private static final Item STOP = new Item(Kind.STOP, 0, 0, 0, null, null, null);
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20);
  /**
   * The log grows in zero-filled steps of this size, each made durable once. Appends then overwrite allocated blocks
   * and the per-batch fdatasync has no file-size change to journal, which makes it markedly cheaper. It also means a
   * crash leaves zeros, never older bytes, wherever a group was not fully written (what recovery relies on).
   */
  static final long PREALLOCATE = 16L << 20;

  /** Creates segment files; null for a writer over one given channel (tests). */
  private final Path dir;
  private final WalFiles files;
  private final boolean fsync;
  /** How long the last group's fsyncs took (the log's and its commit file's); -1 before the first. */
  private volatile long lastSyncNanos = -1;
  /** Told how long each group took to become durable (both fsyncs); a meter, never anything that blocks. */
  private volatile java.util.function.LongConsumer syncListener = nanos -> {};
  private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(64);
  private final Thread thread;
  private final Consumer<Throwable> onFatal;
  private final Object durableLock = new Object();
  private final CRC32C groupCrc = new CRC32C();
  private volatile long durableOp;
  private volatile Throwable failure;
  private FileChannel channel;
  /** The current segment's commit file; null for a writer over one given channel (tests). */
  private FileChannel commits;
  private long commitsPosition;
  private long commitsAllocated;
  private volatile long segmentFirstOp;
  private volatile long position;
  /** End of the zero-filled space ahead of {@link #position}. */
  private long allocated;

  /** A writer over one channel at {@code position} (tests of the write path). */
  LogWriter(FileChannel channel, long position, long durableOp, boolean fsync, Consumer<Throwable> onFatal) {
    this(null, null, channel, null, 0, 0, position, durableOp, fsync, onFatal);
  }

  /**
   * A writer appending to segment {@code segmentFirstOp} (open as {@code channel}) at {@code position}, and to its
   * commit file {@code commits} at {@code commitsPosition}; new segments are created in {@code dir} through
   * {@code files}.
   */
  LogWriter(Path dir, WalFiles files, FileChannel channel, FileChannel commits, long commitsPosition,
      long segmentFirstOp, long position, long durableOp, boolean fsync, Consumer<Throwable> onFatal) {
    this.dir = dir;
    this.files = files;
    this.channel = channel;
    this.commits = commits;
    this.commitsPosition = commitsPosition;
    this.commitsAllocated = commitsPosition;
    this.segmentFirstOp = segmentFirstOp;
    this.position = position;
    this.allocated = position;
    this.durableOp = durableOp;
    this.fsync = fsync;
    this.onFatal = onFatal;
    this.thread = new Thread(this, "ledger-wal");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Queues an item; blocks while the queue is full (back-pressure on the engine thread). */
  void enqueue(Item item) {
    Throwable f = failure;
    if (f != null) {
      item.onFailure().accept(f);
      return;
    }
    try {
      queue.put(item);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      item.onFailure().accept(e);
    }
  }

  long durableOp() {
    return durableOp;
  }

  /** The segment being appended to (its first op) and the end of its last group, for statistics. */
  long[] segmentAndEnd() {
    return new long[] {segmentFirstOp, position};
  }

  Throwable failure() {
    return failure;
  }

  /** Waits until every record up to {@code op} is durable; false if the log failed first. */
  boolean awaitDurable(long op) throws InterruptedException {
    synchronized (durableLock) {
      while (durableOp < op && failure == null) durableLock.wait(100);
    }
    return failure == null;
  }

  void stop() throws InterruptedException {
    queue.put(STOP);
    thread.join();
  }

  /** A segment's file and its commit file, open. */
  record SegmentChannels(FileChannel log, FileChannel commits) {
    void close() throws IOException {
      try {
        log.close();
      } finally {
        commits.close();
      }
    }
  }

  /**
   * Creates segment {@code firstOp} and its commit file, each with its header durable under a temporary name first
   * (never a torn header); the commit file is in place before the segment, so a segment never lacks one.
   */
  void onSync(java.util.function.LongConsumer listener) {
    syncListener = listener;
  }

  static SegmentChannels createSegment(Path dir, WalFiles files, long firstOp, boolean fsync) throws IOException {
    Path commits = createFile(dir, files, CommitFile.name(firstOp), CommitFile.header(firstOp), fsync);
    // The commit file's name is durable before the segment's can be.
    if (fsync) Snapshots.fsyncDirectory(dir);
    Path log = createFile(dir, files, Wal.segmentName(firstOp), Wal.segmentHeader(firstOp), fsync);
    if (fsync) Snapshots.fsyncDirectory(dir);
    FileChannel commitsChannel = files.open(commits);
    try {
      return new SegmentChannels(files.open(log), commitsChannel);
    } catch (IOException | RuntimeException e) {
      commitsChannel.close();
      throw e;
    }
  }

  /** Writes {@code header} to a new file {@code name} via a temporary name; replaces an older file of that name. */
  static Path createFile(Path dir, WalFiles files, String name, ByteBuffer header, boolean fsync) throws IOException {
    Path target = dir.resolve(name);
    Path tmp = dir.resolve(name + ".tmp");
    try (FileChannel ch = files.open(tmp)) {
      ch.truncate(0);
      ByteBuffer h = header.duplicate();
      while (h.hasRemaining()) ch.write(h, h.position());
      if (fsync) ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }

  /** Zero-fills the log up to past {@code end} and makes the new size durable. */
  private void preallocate(long end) throws IOException {
    long target = Math.max(end, allocated) + PREALLOCATE;
    zeroFill(channel, allocated, target);
    allocated = target;
  }

  /** Writes zeros to {@code ch} from {@code from} up to {@code to} and makes them durable. */
  private static void zeroFill(FileChannel ch, long from, long to) throws IOException {
    long pos = from;
    while (pos < to) {
      ByteBuffer z = ZEROS.duplicate();
      z.limit((int) Math.min(z.capacity(), to - pos));
      pos += ch.write(z, pos);
    }
    ch.force(true);
  }

  /** Gives back the preallocated space, so a closed segment and its commit file end at their last group. */
  private void trimPreallocated() throws IOException {
    if (allocated > position) {
      channel.truncate(position);
      if (fsync) channel.force(true);
      allocated = position;
    }
    if (commits != null && commitsAllocated > commitsPosition) {
      commits.truncate(commitsPosition);
      if (fsync) commits.force(true);
      commitsAllocated = commitsPosition;
    }
  }

  /**
   * Appends a copy of the group's marker to the commit file and makes it durable. Called only after the segment's
   * fsync returned: an entry here proves its group's marker is on disk (see {@link CommitFile}).
   */
  private void appendCommit(ByteBuffer marker) throws IOException {
    if (commits == null) return;
    if (fsync && commitsPosition + CommitFile.ENTRY > commitsAllocated) {
      long target = Math.max(commitsPosition + CommitFile.ENTRY, commitsAllocated) + CommitFile.PREALLOCATE;
      zeroFill(commits, commitsAllocated, target);
      commitsAllocated = target;
    }
    ByteBuffer m = marker.duplicate();
    m.clear();
    long pos = commitsPosition;
    while (m.hasRemaining()) pos += commits.write(m, pos);
    commitsPosition = pos;
    if (fsync) commits.force(false);
  }

  /** How long the last group's fsyncs took, in nanoseconds; -1 before the first (or without fsync). */
  long lastSyncNanos() {
    return lastSyncNanos;
  }

  @Override
  public void run() {
    List<Item> drained = new ArrayList<>();
    List<Item> group = new ArrayList<>();
    while (true) {
      drained.clear();
      try {
        drained.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(drained);
      boolean stop = false;
      for (Item it : drained) {
        if (it.kind == Kind.STOP) {
          stop = true;
        } else if (it.kind == Kind.ROTATE) {
          commit(group);
          group.clear();
          rotate(it.opNumber);
          if (failure == null) {
            it.onDurable().run();
          } else {
            it.onFailure().accept(failure);
          }
        } else {
          group.add(it);
        }
      }
      commit(group);
      group.clear();
      if (stop) {
        if (failure == null) {
          try {
            trimPreallocated();
          } catch (IOException e) {
            LOG.warn("could not trim the write-ahead log's preallocated space (harmless: it is zeros)", e);
          }
        }
        return;
      }
    }
  }

  /** Writes the group's records and its commit marker in one write, fsyncs once, then completes the group. */
  private void commit(List<Item> group) {
    if (group.isEmpty()) return;
    if (failure != null) {
      for (Item it : group) it.onFailure().accept(failure);
      return;
    }
    int records = 0;
    for (Item it : group) if (it.kind == Kind.RECORD) records++;
    long lastOp = durableOp;
    boolean writing = false;
    try {
      if (records > 0) {
        ByteBuffer[] bufs = new ByteBuffer[records * 3 + 1];
        int k = 0;
        groupCrc.reset();
        long groupStart = position;
        for (Item it : group) {
          if (it.kind != Kind.RECORD) continue;
          ByteBuffer h = Wal.header(it.opNumber, it.timestamp, it.operation, it.body);
          groupCrc.update(h.array(), 0, Wal.HEADER);
          bufs[k++] = h;
          int len = it.body == null ? 0 : it.body.remaining();
          bufs[k++] = it.body == null ? ByteBuffer.allocate(0) : it.body;
          bufs[k++] = ByteBuffer.allocate(Wal.padded(len) - len);
          lastOp = it.opNumber;
        }
        bufs[k] = Wal.marker((int) groupCrc.getValue(), lastOp, groupStart, records);
        long total = 0;
        for (ByteBuffer b : bufs) total += b.remaining();
        if (fsync && position + total > allocated) preallocate(position + total);
        writing = true;
        channel.position(position);
        long written = 0;
        while (written < total) written += channel.write(bufs);
        position += total;
        long syncStart = System.nanoTime();
        if (fsync) channel.force(false);
        appendCommit(bufs[k]);
        long synced = System.nanoTime() - syncStart;
        if (fsync) lastSyncNanos = synced;
        syncListener.accept(synced);
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
      // Once the group's bytes went to the file they may be on disk and replay at the next start: for its records
      // the outcome is unknown. Before that (the preallocation failed) nothing of the group was written.
      Throwable answer = writing ? new LedgerOutcomeUnknownException(
          "the write-ahead log failed while making this batch durable; it may or may not replay at restart", e) : e;
      for (Item it : group) it.onFailure().accept(it.kind == Kind.RECORD ? answer : e);
      return;
    }
    synchronized (durableLock) {
      durableOp = lastOp;
      durableLock.notifyAll();
    }
    for (Item it : group) {
      try {
        it.onDurable().run();
      } catch (RuntimeException e) {
        LOG.warn("completion callback failed", e);
      }
    }
  }

  /** Closes the current segment and starts segment {@code firstOp}; every group before it is durable already. */
  private void rotate(long firstOp) {
    if (failure != null || dir == null || firstOp == segmentFirstOp) return;
    try {
      trimPreallocated();
      SegmentChannels next = createSegment(dir, files, firstOp, fsync);
      channel.close();
      commits.close();
      channel = next.log();
      commits = next.commits();
      segmentFirstOp = firstOp;
      position = Wal.SEGMENT_HEADER;
      allocated = position;
      commitsPosition = CommitFile.HEADER;
      commitsAllocated = commitsPosition;
      LOG.debug("write-ahead log segment {} started", Wal.segmentName(firstOp));
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  private void fail(Throwable e) {
    failure = e;
    LOG.error("write-ahead log write/fsync failed; the ledger engine stops for good (no retry)", e);
    synchronized (durableLock) {
      durableLock.notifyAll();
    }
    onFatal.accept(e); // the engine stops before anyone learns of the failure
  }

  /** Closes the current segment's channels (after {@link #stop}). */
  void closeChannel() throws IOException {
    try {
      channel.close();
    } finally {
      if (commits != null) commits.close();
    }
  }
}
