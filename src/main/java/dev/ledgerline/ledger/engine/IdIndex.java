package dev.ledgerline.ledger.engine;

import java.util.Arrays;

/**
 * Open-addressing (linear probing) index from a u128 id to a dense record index. Each slot is one long: the upper 32
 * bits of the id's hash (a fingerprint that also determines the home slot, so the table can grow without touching
 * the records) and the record index + 1 (0 = empty). Keys live in the records themselves; {@link #keyEquals}
 * compares one.
 */
abstract class IdIndex {
  private static final double LOAD = 0.7;

  private long[] table;
  // Where the last unsuccessful find ended: an insert of that id right after it starts there instead of probing
  // again (the slot is re-checked, and the cache is dropped on grow and remove).
  private long missLo;
  private long missHi;
  private int missSlot = -1;
  private int bits;
  private int mask;
  private int size;
  private int growAt;

  IdIndex(int initialCapacity) {
    int b = 4;
    while ((1L << b) * LOAD < initialCapacity) b++;
    allocate(b);
  }

  private void allocate(int b) {
    if (b > 31) throw new IllegalStateException("id index full");
    bits = b;
    table = new long[1 << b];
    mask = (1 << b) - 1;
    growAt = (int) ((1L << b) * LOAD);
  }

  /** True if the record at {@code index} has id (lo, hi). */
  abstract boolean keyEquals(int index, long lo, long hi);

  static int fingerprint(long lo, long hi) {
    long h = lo * 0x9E3779B97F4A7C15L ^ (hi + 0x632BE59BD9B4E019L) * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    return (int) (h >>> 32);
  }

  private int home(int fp) {
    return (int) ((fp & 0xFFFF_FFFFL) >>> (32 - bits));
  }

  int size() {
    return size;
  }

  long memoryBytes() {
    return (long) table.length * 8;
  }

  /**
   * Touches the home slot of an id so that a later {@link #find} hits the cache. Called for a whole batch in a
   * tight loop, the loads are independent and their cache misses overlap.
   */
  final long touch(long lo, long hi) {
    return table[home(fingerprint(lo, hi))];
  }

  /** The record index for the id, or -1. */
  final int find(long lo, long hi) {
    int fp = fingerprint(lo, hi);
    long[] t = table;
    int m = mask;
    int s = home(fp);
    while (true) {
      long e = t[s];
      if (e == 0) {
        missLo = lo;
        missHi = hi;
        missSlot = s;
        return -1;
      }
      if ((int) (e >>> 32) == fp) {
        int idx = (int) e - 1;
        if (keyEquals(idx, lo, hi)) return idx;
      }
      s = (s + 1) & m;
    }
  }

  /** Adds an id known to be absent. */
  final void insert(long lo, long hi, int index) {
    if (size >= growAt) grow();
    int fp = fingerprint(lo, hi);
    int s = missSlot >= 0 && missLo == lo && missHi == hi ? missSlot : home(fp);
    missSlot = -1;
    while (table[s] != 0) s = (s + 1) & mask;
    table[s] = ((long) fp << 32) | ((index + 1) & 0xFFFF_FFFFL);
    size++;
  }

  /** Removes the id that maps to {@code index} (used to roll back an insert). */
  final void remove(long lo, long hi, int index) {
    missSlot = -1;
    int fp = fingerprint(lo, hi);
    int s = home(fp);
    long want = ((long) fp << 32) | ((index + 1) & 0xFFFF_FFFFL);
    while (table[s] != want) {
      if (table[s] == 0) throw new IllegalStateException("id not in index");
      s = (s + 1) & mask;
    }
    // Backward-shift deletion keeps every probe chain unbroken.
    int i = s;
    int j = s;
    while (true) {
      j = (j + 1) & mask;
      long e = table[j];
      if (e == 0) break;
      int h = home((int) (e >>> 32));
      boolean between = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (!between) {
        table[i] = e;
        i = j;
      }
    }
    table[i] = 0;
    size--;
  }

  void clear() {
    missSlot = -1;
    Arrays.fill(table, 0);
    size = 0;
  }

  private void grow() {
    missSlot = -1;
    long[] old = table;
    allocate(bits + 1);
    for (long e : old) {
      if (e == 0) continue;
      int s = home((int) (e >>> 32));
      while (table[s] != 0) s = (s + 1) & mask;
      table[s] = e;
    }
  }
}
