package dev.ledgerline.ledger.engine;

/**
 * Unsigned 128-bit arithmetic on (low, high) long pairs. Results come back as values, one word per call, so the
 * hot path allocates nothing and keeps no state between calls; the JIT merges the repeated carry computations.
 */
final class U128 {
  private U128() {}

  static int compare(long aLo, long aHi, long bLo, long bHi) {
    int c = Long.compareUnsigned(aHi, bHi);
    return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
  }

  static boolean isZero(long lo, long hi) {
    return (lo | hi) == 0;
  }

  static boolean isMax(long lo, long hi) {
    return lo == -1 && hi == -1;
  }

  static boolean sumOverflows(long aLo, long aHi, long bLo, long bHi) {
    long lo = aLo + bLo;
    long carry = Long.compareUnsigned(lo, aLo) < 0 ? 1 : 0;
    long hi = aHi + bHi;
    if (Long.compareUnsigned(hi, aHi) < 0) return true;
    return carry == 1 && hi + 1 == 0;
  }

  /** Low word of a + b, wrapping (for sums known not to overflow). */
  static long sumLo(long aLo, long bLo) {
    return aLo + bLo;
  }

  /** High word of a + b, wrapping (for sums known not to overflow). */
  static long sumHi(long aLo, long aHi, long bLo, long bHi) {
    return aHi + bHi + (Long.compareUnsigned(aLo + bLo, aLo) < 0 ? 1 : 0);
  }

  /** Low word of a +| b (saturating at 2^128-1, as TigerBeetle's {@code +|}). */
  static long saturatingSumLo(long aLo, long aHi, long bLo, long bHi) {
    return sumOverflows(aLo, aHi, bLo, bHi) ? -1 : aLo + bLo;
  }

  /** High word of a +| b. */
  static long saturatingSumHi(long aLo, long aHi, long bLo, long bHi) {
    return sumOverflows(aLo, aHi, bLo, bHi) ? -1 : sumHi(aLo, aHi, bLo, bHi);
  }

  /** Low word of a -| b (saturating at zero, as TigerBeetle's {@code -|}). */
  static long saturatingDifferenceLo(long aLo, long aHi, long bLo, long bHi) {
    return compare(aLo, aHi, bLo, bHi) <= 0 ? 0 : aLo - bLo;
  }

  /** High word of a -| b. */
  static long saturatingDifferenceHi(long aLo, long aHi, long bLo, long bHi) {
    return compare(aLo, aHi, bLo, bHi) <= 0 ? 0 : aHi - bHi - (Long.compareUnsigned(aLo, bLo) < 0 ? 1 : 0);
  }

  /** Adds (lo, hi) to the pair at {@code words[i]}, {@code words[i + 1]}. */
  static void addTo(long[] words, int i, long lo, long hi) {
    long s = words[i] + lo;
    words[i + 1] = words[i + 1] + hi + (Long.compareUnsigned(s, lo) < 0 ? 1 : 0);
    words[i] = s;
  }

  /** Subtracts (lo, hi) from the pair at {@code words[i]}, {@code words[i + 1]}. */
  static void subtractFrom(long[] words, int i, long lo, long hi) {
    long d = words[i] - lo;
    words[i + 1] = words[i + 1] - hi - (Long.compareUnsigned(words[i], lo) < 0 ? 1 : 0);
    words[i] = d;
  }
}
