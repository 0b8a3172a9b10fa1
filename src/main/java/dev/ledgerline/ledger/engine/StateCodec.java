package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Fields.*;

import dev.ledgerline.ledger.model.AccountFlags;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The canonical byte form of the ledger state, used for snapshots and for comparing states byte for byte.
 *
 * <pre>
 * snapshot file = header (64 bytes) | state | u32 CRC32C of everything before | "LLSNEND1"
 * header        = "LLSNAP01" | u32 version (2) | u32 0 | u64 op number | u64 0 | u64 fencing epoch
 *                 | 24 zero bytes
 * state         = u64 commit timestamp | u32 accounts | u32 transfers
 *                 | accounts x 128 bytes | transfers x 128 bytes | transfers x u8 pending status
 *                 | per history account (in account order): its balance history, 8 longs per transfer
 *                 | u32 orphan ids | ids x 16 bytes (sorted) | u32 setup accounts | account indexes x u32
 * </pre>
 */
final class StateCodec {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StateCodec.class);
  static final long MAGIC = 0x3130_5041_4E53_4C4CL; // "LLSNAP01" little-endian
  static final long END_MAGIC = 0x3144_4E45_4E53_4C4CL; // "LLSNEND1"
  static final int HEADER = 64;
  /** 2: the fencing epoch in the header (version 1 had none, and went with the version-1 log). */
  static final int VERSION = 2;

  private StateCodec() {}

  /** Buffered little-endian output that feeds a CRC32C and either a file channel or a digest. */
  static final class Out {
    final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    final CRC32C crc = new CRC32C();
    final FileChannel ch;
    final MessageDigest digest;
    long written;

    Out(FileChannel ch, MessageDigest digest) {
      this.ch = ch;
      this.digest = digest;
    }

    void ensure(int n) throws IOException {
      if (buf.remaining() < n) flush();
    }

    void putLong(long v) throws IOException {
      ensure(8);
      buf.putLong(v);
    }

    void putInt(int v) throws IOException {
      ensure(4);
      buf.putInt(v);
    }

    void putByte(byte v) throws IOException {
      ensure(1);
      buf.put(v);
    }

    void putLongs(long[] a, int from, int count) throws IOException {
      while (count > 0) {
        ensure(8);
        int n = Math.min(count, buf.remaining() / 8);
        buf.asLongBuffer().put(a, from, n);
        buf.position(buf.position() + n * 8);
        from += n;
        count -= n;
      }
    }

    void putBytes(byte[] a, int from, int count) throws IOException {
      while (count > 0) {
        ensure(1);
        int n = Math.min(count, buf.remaining());
        buf.put(a, from, n);
        from += n;
        count -= n;
      }
    }

    void flush() throws IOException {
      buf.flip();
      crc.update(buf.duplicate());
      if (digest != null) digest.update(buf.duplicate());
      if (ch != null) {
        while (buf.hasRemaining()) written += ch.write(buf);
      } else {
        written += buf.remaining();
      }
      buf.clear();
    }
  }

  static void writeState(StateView v, Out out) throws IOException {
    out.putLong(v.commitTimestamp);
    out.putInt(v.accountCount);
    out.putInt(v.transferCount);
    out.putLongs(v.accounts, 0, v.accountCount * 16);
    int remaining = v.transferCount;
    for (int c = 0; remaining > 0; c++) {
      int n = Math.min(remaining, 1 << 16);
      out.putLongs(v.chunks[c], 0, n * 16);
      remaining -= n;
    }
    remaining = v.transferCount;
    for (int c = 0; remaining > 0; c++) {
      int n = Math.min(remaining, 1 << 16);
      out.putBytes(v.statuses[c], 0, n);
      remaining -= n;
    }
    for (int a = 0; a < v.accountCount; a++) {
      int flags = v.accountFlags(a);
      if ((flags & AccountFlags.HISTORY) == 0) continue;
      if (v.history[a] != null) out.putLongs(v.history[a], 0, v.historyLen[a] * 8);
    }
    out.putInt(v.orphans.length / 2);
    out.putLongs(v.orphans, 0, v.orphans.length);
    out.putInt(v.setupTouched.length);
    for (int a : v.setupTouched) out.putInt(a);
  }

  /** SHA-256 of the canonical state: equal digests mean byte-for-byte equal states. */
  static String digest(StateView v) {
    try {
      Out out = new Out(null, MessageDigest.getInstance("SHA-256"));
      writeState(v, out);
      out.flush();
      return HexFormat.of().formatHex(out.digest.digest());
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes a complete snapshot file (not yet forced). */
  static void writeSnapshot(StateView v, FileChannel ch) throws IOException {
    Out out = new Out(ch, null);
    out.putLong(MAGIC);
    out.putInt(VERSION);
    out.putInt(0);
    out.putLong(v.opNumber);
    out.putLong(0);
    out.putLong(v.fenceEpoch);
    for (int i = 0; i < 3; i++) out.putLong(0);
    writeState(v, out);
    out.flush();
    int crc = (int) out.crc.getValue();
    ByteBuffer trailer = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    trailer.putInt(crc).putLong(END_MAGIC).flip();
    while (trailer.hasRemaining()) ch.write(trailer);
  }

  /** A loaded snapshot. */
  record Loaded(StateMachine sm, long opNumber, long fenceEpoch) {}

  /** Reads and verifies a snapshot file; any mismatch is a {@link LedgerCorruptionException}. */
  static Loaded readSnapshot(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < HEADER + 16 + 12) throw new LedgerCorruptionException(file, size, "snapshot too short");
      // The checksum over the whole file is computed on a second thread while the state is parsed (counts are
      // bounds-checked against the file size first); nothing parsed is used unless the checksum matches.
      final long crcEnd = size - 12;
      java.util.concurrent.CompletableFuture<Integer> crcFuture = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> {
            try (FileChannel cc = FileChannel.open(file, StandardOpenOption.READ)) {
              CRC32C crc = new CRC32C();
              ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
              long pos = 0;
              while (pos < crcEnd) {
                b.clear();
                if (crcEnd - pos < b.capacity()) b.limit((int) (crcEnd - pos));
                int n = cc.read(b, pos);
                if (n < 0) break;
                b.flip();
                crc.update(b);
                pos += n;
              }
              return (int) crc.getValue();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }, r -> {
            Thread t = new Thread(r, "ledger-snapshot-checksum");
            t.setDaemon(true);
            t.start();
          });
      ByteBuffer trailer = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      Wal.readFully(ch, trailer, crcEnd);
      if (trailer.getLong(4) != END_MAGIC) {
        throw new LedgerCorruptionException(file, crcEnd + 4, "snapshot trailer missing (incomplete snapshot)");
      }
      StateMachine sm;
      long op;
      long epoch;
      RuntimeException parseError = null;
      In in = new In(ch, file);
      try {
        if (in.getLong() != MAGIC) throw new LedgerCorruptionException(file, 0, "not a ledger snapshot");
        int version = in.getInt();
        if (version != VERSION) {
          throw new LedgerCorruptionException(file, 8, "unsupported snapshot version " + version + " (this release "
              + "reads version " + VERSION + ", written with the version-2 log)");
        }
        in.getInt();
        op = in.getLong();
        in.getLong();
        epoch = in.getLong();
        for (int i = 0; i < 3; i++) in.getLong();
        sm = readState(in, file, size);
        sm.fenceEpoch = epoch;
        if (in.pos != crcEnd) throw new LedgerCorruptionException(file, in.pos, "snapshot has trailing bytes");
      } catch (RuntimeException e) {
        parseError = e;
        sm = null;
        op = 0;
        epoch = 0;
      }
      int crc;
      try {
        crc = crcFuture.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : new IOException(e.getCause());
      }
      if (trailer.getInt(0) != crc) throw new LedgerCorruptionException(file, crcEnd, "snapshot checksum mismatch");
      if (parseError != null) throw parseError;
      return new Loaded(sm, op, epoch);
    }
  }

  /** Sequential little-endian reads through memory-mapped windows of the file (one copy into the arrays). */
  static final class In {
    private static final long WINDOW = 64L << 20;
    final FileChannel ch;
    final Path file;
    final long size;
    ByteBuffer buf;
    long pos; // file position of buf's next byte

    In(FileChannel ch, Path file) throws IOException {
      this.ch = ch;
      this.file = file;
      this.size = ch.size();
      map();
    }

    private void map() throws IOException {
      buf = ch.map(FileChannel.MapMode.READ_ONLY, pos, Math.min(WINDOW, size - pos)).order(ByteOrder.LITTLE_ENDIAN);
    }

    void need(int n) throws IOException {
      if (buf.remaining() >= n) return;
      if (pos + n > size) throw new LedgerCorruptionException(file, pos, "unexpected end of snapshot");
      map();
    }

    long getLong() throws IOException {
      need(8);
      pos += 8;
      return buf.getLong();
    }

    int getInt() throws IOException {
      need(4);
      pos += 4;
      return buf.getInt();
    }

    void getLongs(long[] a, int from, int count) throws IOException {
      while (count > 0) {
        need(8);
        int n = Math.min(count, buf.remaining() / 8);
        buf.asLongBuffer().get(a, from, n);
        buf.position(buf.position() + n * 8);
        pos += n * 8L;
        from += n;
        count -= n;
      }
    }

    void getBytes(byte[] a, int from, int count) throws IOException {
      while (count > 0) {
        need(1);
        int n = Math.min(count, buf.remaining());
        buf.get(a, from, n);
        pos += n;
        from += n;
        count -= n;
      }
    }
  }

  private static StateMachine readState(In in, Path file, long size) throws IOException {
    long readStart = System.nanoTime();
    long commitTs = in.getLong();
    int accounts = in.getInt();
    int transfers = in.getInt();
    if (accounts < 0 || transfers < 0 || accounts * 128L + transfers * 129L > size) {
      throw new LedgerCorruptionException(file, in.pos, "impossible account/transfer counts");
    }
    StateMachine sm = new StateMachine(transfers);
    long[] acc = new long[Math.max(16 * 1024, accounts * 16)];
    in.getLongs(acc, 0, accounts * 16);
    long[][] records = new long[(transfers >>> 16) + 1][];
    byte[][] statuses = new byte[records.length][];
    int remaining = transfers;
    for (int c = 0; remaining > 0; c++) {
      int n = Math.min(remaining, 1 << 16);
      records[c] = new long[(1 << 16) * 16];
      in.getLongs(records[c], 0, n * 16);
      remaining -= n;
    }
    remaining = transfers;
    for (int c = 0; remaining > 0; c++) {
      int n = Math.min(remaining, 1 << 16);
      statuses[c] = new byte[1 << 16];
      in.getBytes(statuses[c], 0, n);
      remaining -= n;
    }
    long restoreStart = System.nanoTime();
    sm.restore(commitTs, acc, accounts, records, statuses, transfers);
    LOG.info("snapshot {}: {} accounts, {} transfers read in {} ms, indexes rebuilt in {} ms", file, accounts,
        transfers, (restoreStart - readStart) / 1_000_000, (System.nanoTime() - restoreStart) / 1_000_000);
    for (int a = 0; a < accounts; a++) {
      int flags = sm.accounts.flags(a);
      if ((flags & AccountFlags.HISTORY) == 0) continue;
      int len = sm.accounts.transferCount(a);
      if (len == 0) continue;
      long[] h = new long[8 * (len + 16)];
      in.getLongs(h, 0, len * 8);
      sm.accounts.setHistory(a, h);
    }
    int orphans = in.getInt();
    for (int i = 0; i < orphans; i++) sm.orphans.add(in.getLong(), in.getLong());
    int setup = in.getInt();
    for (int i = 0; i < setup; i++) sm.setupTouched.set(in.getInt());
    sm.rebuildExpiry();
    return sm;
  }
}
