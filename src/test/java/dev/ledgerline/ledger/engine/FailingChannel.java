package dev.ledgerline.ledger.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Delegates to a real file but fails {@code force} while {@code fail} is set, counting the calls. */
public final class FailingChannel extends FileChannel {
  final FileChannel d;
  final AtomicBoolean fail;
  final AtomicInteger forces = new AtomicInteger();

  public FailingChannel(FileChannel d, AtomicBoolean fail) {
    this.d = d;
    this.fail = fail;
  }

  /** Log files that fail every fsync once {@code fail} is set. */
  public static WalFiles files(AtomicBoolean fail) {
    return file -> new FailingChannel(WalFiles.DEFAULT.open(file), fail);
  }

  @Override
  public void force(boolean metaData) throws IOException {
    forces.incrementAndGet();
    if (fail.get()) throw new IOException("EIO (simulated)");
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
