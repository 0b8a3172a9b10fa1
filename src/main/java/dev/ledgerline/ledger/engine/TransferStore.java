package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Fields.*;

import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The transfers, append-only in timestamp order: 16 longs each in chunks of 65,536 (a chunk never moves, so a
 * snapshot view can share it), a status byte each for two-phase transfers, and their id index.
 */
final class TransferStore implements TimestampOrder {
  static final byte STATUS_NONE = 0;
  static final byte STATUS_PENDING = 1;
  static final byte STATUS_POSTED = 2;
  static final byte STATUS_VOIDED = 3;
  static final byte STATUS_EXPIRED = 4;

  static final int CHUNK_SHIFT = 16;
  private static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
  private static final int CHUNK_MASK = CHUNK_SIZE - 1;

  private long[][] chunks = new long[16][];
  private byte[][] statusChunks = new byte[16][];
  private int count;

  private final IdIndex index;

  TransferStore(int expectedTransfers) {
    index = new IdIndex(Math.max(1024, expectedTransfers)) {
      @Override
      boolean keyEquals(int t, long lo, long hi) {
        long[] c = chunks[t >>> CHUNK_SHIFT];
        int b = (t & CHUNK_MASK) << 4;
        return c[b] == lo && c[b + 1] == hi;
      }
    };
  }

  @Override
  public int count() {
    return count;
  }

  /** The transfer with this id, or -1. */
  int find(long idLo, long idHi) {
    return index.find(idLo, idHi);
  }

  /** Keeps the prefetch loop from being optimised away. */
  long prefetchSink;

  /**
   * Touches the id-index slots of the next {@code count} events before they execute: independent loads in a tight
   * loop let their cache misses overlap, where the dependent lookups during execution would wait for each in turn.
   */
  void prefetch(ByteBuffer events, int off, int count) {
    long sink = 0;
    for (int k = 0; k < count; k++) {
      int o = off + k * BYTES;
      sink += index.touch(events.getLong(o + ID * 8), events.getLong(o + (ID + 1) * 8));
    }
    prefetchSink += sink;
  }

  long get(int t, int field) {
    return chunks[t >>> CHUNK_SHIFT][((t & CHUNK_MASK) << 4) + field];
  }

  int flags(int t) {
    return Fields.flags(get(t, LEDGER_CODE_FLAGS));
  }

  @Override
  public long timestamp(int t) {
    return get(t, TIMESTAMP);
  }

  /** The timeout in seconds (u32). */
  long timeout(int t) {
    return upperHalf(get(t, USER_DATA_32)) & 0xFFFF_FFFFL;
  }

  byte status(int t) {
    return statusChunks[t >>> CHUNK_SHIFT][t & CHUNK_MASK];
  }

  void setStatus(int t, byte status) {
    statusChunks[t >>> CHUNK_SHIFT][t & CHUNK_MASK] = status;
  }

  /** Appends a transfer (fields in wire order) with status none; returns its index. */
  int append(long idLo, long idHi, long debitAccountIdLo, long debitAccountIdHi, long creditAccountIdLo,
      long creditAccountIdHi, long amountLo, long amountHi, long pendingIdLo, long pendingIdHi, long userData128Lo,
      long userData128Hi, long userData64, long userData32Word, long ledgerCodeFlags, long timestamp) {
    final int t = count;
    final int ci = t >>> CHUNK_SHIFT;
    if (ci >= chunks.length) {
      chunks = Arrays.copyOf(chunks, chunks.length * 2);
      statusChunks = Arrays.copyOf(statusChunks, statusChunks.length * 2);
    }
    long[] c = chunks[ci];
    if (c == null) {
      c = chunks[ci] = new long[CHUNK_SIZE << 4];
      statusChunks[ci] = new byte[CHUNK_SIZE];
    }
    final int b = (t & CHUNK_MASK) << 4;
    c[b + ID] = idLo;
    c[b + ID + 1] = idHi;
    c[b + DEBIT_ACCOUNT_ID] = debitAccountIdLo;
    c[b + DEBIT_ACCOUNT_ID + 1] = debitAccountIdHi;
    c[b + CREDIT_ACCOUNT_ID] = creditAccountIdLo;
    c[b + CREDIT_ACCOUNT_ID + 1] = creditAccountIdHi;
    c[b + AMOUNT] = amountLo;
    c[b + AMOUNT + 1] = amountHi;
    c[b + PENDING_ID] = pendingIdLo;
    c[b + PENDING_ID + 1] = pendingIdHi;
    c[b + USER_DATA_128] = userData128Lo;
    c[b + USER_DATA_128 + 1] = userData128Hi;
    c[b + USER_DATA_64] = userData64;
    c[b + USER_DATA_32] = userData32Word;
    c[b + LEDGER_CODE_FLAGS] = ledgerCodeFlags;
    c[b + TIMESTAMP] = timestamp;
    statusChunks[ci][t & CHUNK_MASK] = STATUS_NONE;
    count = t + 1;
    index.insert(idLo, idHi, t);
    return t;
  }

  /** Removes the newest transfer (rollback of its creation). */
  void removeLast(int t) {
    if (t != count - 1) throw new IllegalStateException("undo out of order");
    final long[] c = chunks[t >>> CHUNK_SHIFT];
    final int b = (t & CHUNK_MASK) << 4;
    index.remove(c[b], c[b + 1], t);
    Arrays.fill(c, b, b + LONGS, 0);
    setStatus(t, STATUS_NONE);
    count--;
  }

  // ---- reads ----

  /** The first transfer with timestamp ≥ ts (or {@link #count()}). */
  int lowerBound(long ts) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(timestamp(mid), ts) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first transfer with timestamp > ts (or {@link #count()}). */
  int upperBound(long ts) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(timestamp(mid), ts) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  Transfer transfer(int t) {
    final long[] x = chunks[t >>> CHUNK_SHIFT];
    final int b = (t & CHUNK_MASK) << 4;
    return new Transfer(UInt128.of(x[b], x[b + 1]), UInt128.of(x[b + 2], x[b + 3]), UInt128.of(x[b + 4], x[b + 5]),
        UInt128.of(x[b + 6], x[b + 7]), UInt128.of(x[b + 8], x[b + 9]), UInt128.of(x[b + 10], x[b + 11]), x[b + 12],
        userData32(x[b + 13]), upperHalf(x[b + 13]), ledger(x[b + 14]), code(x[b + 14]), Fields.flags(x[b + 14]),
        x[b + 15]);
  }

  // ---- snapshots ----

  /** The chunk array, shared: records below {@link #count()} never change. */
  long[][] sharedChunks() {
    return chunks.clone();
  }

  /** A copy of the status chunks in use (statuses change in place). */
  byte[][] copyStatuses() {
    int nChunks = (count + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
    byte[][] copy = new byte[nChunks][];
    for (int i = 0; i < nChunks; i++) copy[i] = statusChunks[i].clone();
    return copy;
  }

  /** Installs loaded records; {@link #rebuildIndex()} must follow. */
  void restore(long[][] records, byte[][] statuses, int n) {
    int nChunks = Math.max(16, records.length);
    chunks = Arrays.copyOf(records, nChunks);
    statusChunks = Arrays.copyOf(statuses, nChunks);
    count = n;
    index.clear();
  }

  void rebuildIndex() {
    final long[][] recs = chunks;
    index.insertAll(count, new IdIndex.IdSource() {
      @Override
      public long lo(int t) {
        return recs[t >>> CHUNK_SHIFT][(t & CHUNK_MASK) << 4];
      }

      @Override
      public long hi(int t) {
        return recs[t >>> CHUNK_SHIFT][((t & CHUNK_MASK) << 4) + 1];
      }
    });
  }

  long memoryBytes() {
    long bytes = index.memoryBytes();
    for (long[] c : chunks) if (c != null) bytes += (long) c.length * 8;
    for (byte[] s : statusChunks) if (s != null) bytes += s.length;
    return bytes;
  }
}
