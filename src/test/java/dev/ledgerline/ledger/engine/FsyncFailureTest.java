package dev.ledgerline.ledger.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed fsync stops the log for good: the batch is not acknowledged and nothing is retried. */
class FsyncFailureTest {

  @TempDir
  Path dir;

  /** Delegates to a real file but fails {@code force} once armed, counting the calls. */
  static final class FailingChannel extends FileChannel {
    final FileChannel d;
    volatile boolean fail;
    final AtomicInteger forces = new AtomicInteger();

    FailingChannel(FileChannel d) {
      this.d = d;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      forces.incrementAndGet();
      if (fail) throw new IOException("EIO (simulated)");
      d.force(metaData);
    }

    @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
    @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return d.read(dsts, offset, length); }
    @Override public int write(ByteBuffer src) throws IOException { return d.write(src); }
    @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      return d.write(srcs, offset, length); }
    @Override public long position() throws IOException { return d.position(); }
    @Override public FileChannel position(long p) throws IOException { d.position(p); return this; }
    @Override public long size() throws IOException { return d.size(); }
    @Override public FileChannel truncate(long size) throws IOException { d.truncate(size); return this; }
    @Override public long transferTo(long p, long c, WritableByteChannel t) throws IOException {
      return d.transferTo(p, c, t); }
    @Override public long transferFrom(ReadableByteChannel s, long p, long c) throws IOException {
      return d.transferFrom(s, p, c); }
    @Override public int read(ByteBuffer dst, long p) throws IOException { return d.read(dst, p); }
    @Override public int write(ByteBuffer src, long p) throws IOException { return d.write(src, p); }
    @Override public MappedByteBuffer map(MapMode m, long p, long s) throws IOException { return d.map(m, p, s); }
    @Override public FileLock lock(long p, long s, boolean sh) throws IOException { return d.lock(p, s, sh); }
    @Override public FileLock tryLock(long p, long s, boolean sh) throws IOException { return d.tryLock(p, s, sh); }
    @Override protected void implCloseChannel() throws IOException { d.close(); }
  }

  @Test
  void failedFsyncFailsTheBatchAndStopsForGood() throws Exception {
    FailingChannel ch = new FailingChannel(FileChannel.open(dir.resolve(Wal.FILE), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE));
    AtomicReference<Throwable> fatal = new AtomicReference<>();
    LogWriter w = new LogWriter(ch, 0, 0, true, fatal::set);
    CompletableFuture<String> first = new CompletableFuture<>();
    ByteBuffer body = ByteBuffer.allocate(128);
    w.enqueue(new LogWriter.Item(1, 10, Wal.OP_CREATE_TRANSFERS, body,
        () -> first.complete("durable"), first::completeExceptionally));
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("durable");

    ch.fail = true;
    CompletableFuture<String> second = new CompletableFuture<>();
    w.enqueue(new LogWriter.Item(2, 11, Wal.OP_CREATE_TRANSFERS, body,
        () -> second.complete("durable"), second::completeExceptionally));
    assertThat(second).failsWithin(10, TimeUnit.SECONDS);
    assertThat(fatal.get()).hasMessageContaining("EIO");
    int forcesAfterFailure = ch.forces.get();

    // Later requests fail at once; fsync is never tried again, even if the disk "recovers".
    ch.fail = false;
    CompletableFuture<String> third = new CompletableFuture<>();
    w.enqueue(new LogWriter.Item(3, 12, Wal.OP_CREATE_TRANSFERS, body,
        () -> third.complete("durable"), third::completeExceptionally));
    assertThat(third).failsWithin(10, TimeUnit.SECONDS);
    assertThat(ch.forces.get()).isEqualTo(forcesAfterFailure);
    assertThat(w.durableOp()).isEqualTo(1);
    w.stop();
    ch.close();
  }
}
