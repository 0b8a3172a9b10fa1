package dev.ledgerline.ledger.engine;

import java.util.Arrays;

/** Open-addressing set of u128 values (never contains 0); used for ids that failed with a transient error. */
final class U128Set {
  private long[] keys = new long[32]; // lo, hi pairs
  private int size;

  int size() {
    return size;
  }

  boolean contains(long lo, long hi) {
    int cap = keys.length >> 1;
    int s = slot(lo, hi, cap);
    while (true) {
      long klo = keys[2 * s];
      long khi = keys[2 * s + 1];
      if (klo == 0 && khi == 0) return false;
      if (klo == lo && khi == hi) return true;
      s = (s + 1) & (cap - 1);
    }
  }

  void add(long lo, long hi) {
    if (lo == 0 && hi == 0) return; // zero ids never reach here; keep 0 as the empty marker
    if (contains(lo, hi)) return;
    if ((size + 1) * 2 > keys.length >> 1) grow();
    put(lo, hi);
    size++;
  }

  private void put(long lo, long hi) {
    int cap = keys.length >> 1;
    int s = slot(lo, hi, cap);
    while (keys[2 * s] != 0 || keys[2 * s + 1] != 0) s = (s + 1) & (cap - 1);
    keys[2 * s] = lo;
    keys[2 * s + 1] = hi;
  }

  private static int slot(long lo, long hi, int cap) {
    return IdIndex.fingerprint(lo, hi) & (cap - 1);
  }

  private void grow() {
    long[] old = keys;
    keys = new long[old.length * 2];
    for (int i = 0; i < old.length; i += 2) if (old[i] != 0 || old[i + 1] != 0) put(old[i], old[i + 1]);
  }

  /** All members sorted (unsigned, hi then lo), as lo/hi pairs: a canonical order for snapshots. */
  long[] sorted() {
    long[] out = new long[size * 2];
    int n = 0;
    for (int i = 0; i < keys.length; i += 2) {
      if (keys[i] != 0 || keys[i + 1] != 0) {
        out[n++] = keys[i];
        out[n++] = keys[i + 1];
      }
    }
    Integer[] order = new Integer[size];
    for (int i = 0; i < size; i++) order[i] = i;
    final long[] src = out;
    Arrays.sort(order, (x, y) -> U128.compare(src[2 * x], src[2 * x + 1], src[2 * y], src[2 * y + 1]));
    long[] res = new long[size * 2];
    for (int i = 0; i < size; i++) {
      res[2 * i] = src[2 * order[i]];
      res[2 * i + 1] = src[2 * order[i] + 1];
    }
    return res;
  }

  void clear() {
    Arrays.fill(keys, 0);
    size = 0;
  }
}
