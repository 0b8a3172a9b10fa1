package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.LedgerOutcomeUnknownException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends records to the write-ahead log on its own thread and completes requests only after the fsync that covers
 * them (group commit: everything queued since the last fsync shares one). Items without a record (reads) complete
 * in order behind the writes before them. A failed write or fsync stops the log for good: fsync is never retried,
 * because after a failed fsync the kernel may have dropped the dirty pages.
 */
final class LogWriter implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(LogWriter.class);

  /**
   * A record to append ({@code opNumber > 0}; its header and checksums are computed on the log thread, off the
   * engine thread) or, with {@code opNumber == 0}, only a completion to run in order behind the writes before it.
   */
  record Item(long opNumber, long timestamp, int operation, ByteBuffer body, Runnable onDurable,
      Consumer<Throwable> onFailure) {
    boolean isRecord() {
      return opNumber > 0;
    }

    static Item completion(Runnable onDurable, Consumer<Throwable> onFailure) {
      return new Item(0, 0, 0, null, onDurable, onFailure);
    }
  }

  private static final Item STOP = new Item(0, 0, 0, null, null, null);

  private final FileChannel channel;
  private final boolean fsync;
  private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(64);
  private final Thread thread;
  private final Consumer<Throwable> onFatal;
  private final Object durableLock = new Object();
  private volatile long durableOp;
  private volatile Throwable failure;
  private long position;
  /** End of the zero-filled space ahead of {@link #position}. */
  private long allocated;
  /**
   * The log grows in zero-filled steps of this size, each made durable once. Appends then overwrite allocated blocks
   * and the per-batch fdatasync has no file-size change to journal, which makes it markedly cheaper.
   */
  static final long PREALLOCATE = 16L << 20;
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20);

  LogWriter(FileChannel channel, long position, long durableOp, boolean fsync, Consumer<Throwable> onFatal) {
    this.channel = channel;
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

  /** Zero-fills the log up to past {@code end} and makes the new size durable. */
  private void preallocate(long end) throws IOException {
    long target = Math.max(end, allocated) + PREALLOCATE;
    long pos = allocated;
    while (pos < target) {
      ByteBuffer z = ZEROS.duplicate();
      z.limit((int) Math.min(z.capacity(), target - pos));
      pos += channel.write(z, pos);
    }
    channel.force(true);
    allocated = target;
  }

  /** Gives back the preallocated space after a clean stop, so a closed log ends at its last record. */
  private void trimPreallocated() {
    if (allocated > position && failure == null) {
      try {
        channel.truncate(position);
        channel.force(true);
      } catch (IOException e) {
        LOG.warn("could not trim the write-ahead log's preallocated space (harmless: it is zeros)", e);
      }
    }
  }

  @Override
  public void run() {
    List<Item> batch = new ArrayList<>();
    while (true) {
      batch.clear();
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(batch);
      boolean stop = false;
      int n = 0;
      for (Item it : batch) {
        if (it == STOP) stop = true;
        else if (it.isRecord()) n += it.body() == null ? 1 : 2;
      }
      if (failure != null) {
        for (Item it : batch) if (it != STOP) it.onFailure().accept(failure);
        if (stop) return;
        continue;
      }
      long lastOp = durableOp;
      boolean writing = false;
      try {
        if (n > 0) {
          ByteBuffer[] bufs = new ByteBuffer[n];
          int k = 0;
          for (Item it : batch) {
            if (it == STOP || !it.isRecord()) continue;
            bufs[k++] = Wal.header(it.opNumber(), it.timestamp(), it.operation(), it.body());
            if (it.body() != null) bufs[k++] = it.body();
            lastOp = it.opNumber();
          }
          long total = 0;
          for (ByteBuffer b : bufs) total += b.remaining();
          if (fsync && position + total > allocated) preallocate(position + total);
          writing = true;
          channel.position(position);
          long written = 0;
          while (written < total) written += channel.write(bufs);
          position += total;
          if (fsync) channel.force(false);
        }
      } catch (IOException | RuntimeException e) {
        failure = e;
        LOG.error("write-ahead log write/fsync failed; the ledger engine stops for good (no retry)", e);
        synchronized (durableLock) {
          durableLock.notifyAll();
        }
        onFatal.accept(e); // the engine stops before anyone learns of the failure
        // Once the group's bytes went to the file they may be on disk and replay at the next start: for its records
        // the outcome is unknown. Before that (the preallocation failed) nothing of the group was written.
        Throwable answer = writing ? new LedgerOutcomeUnknownException(
            "the write-ahead log failed while making this batch durable; it may or may not replay at restart", e) : e;
        for (Item it : batch) {
          if (it == STOP) continue;
          it.onFailure().accept(it.isRecord() ? answer : e);
        }
        if (stop) return;
        continue;
      }
      synchronized (durableLock) {
        durableOp = lastOp;
        durableLock.notifyAll();
      }
      for (Item it : batch) {
        if (it == STOP) continue;
        try {
          it.onDurable().run();
        } catch (RuntimeException e) {
          LOG.warn("completion callback failed", e);
        }
      }
      if (stop) {
        trimPreallocated();
        return;
      }
    }
  }
}
