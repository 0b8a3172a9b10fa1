package dev.ledgerline.ledger.model;

import java.security.SecureRandom;

/**
 * TigerBeetle-style time-based ids: 48-bit milliseconds since the epoch in the high bits, 80 random bits below.
 * Within one millisecond (or if the clock goes back) the random part is incremented, so ids are strictly
 * increasing within a process.
 */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static long lastMillis;
  private static long lastRandomLo; // low 64 random bits
  private static long lastRandomHi; // high 16 random bits

  private Ids() {}

  public static synchronized UInt128 next() {
    long now = System.currentTimeMillis();
    if (now <= lastMillis) {
      // Same millisecond (or clock moved back): keep the timestamp and increment the 80-bit random part.
      now = lastMillis;
      lastRandomLo++;
      if (lastRandomLo == 0) {
        lastRandomHi++;
        if (lastRandomHi > 0xFFFF) throw new ArithmeticException("random part of the id overflowed");
      }
    } else {
      lastMillis = now;
      lastRandomLo = RANDOM.nextLong();
      lastRandomHi = RANDOM.nextInt() & 0xFFFF;
    }
    long hi = ((now & 0xFFFF_FFFF_FFFFL) << 16) | lastRandomHi;
    return UInt128.of(lastRandomLo, hi);
  }

  /** The millisecond timestamp embedded in a time-based id. */
  public static long millisOf(UInt128 id) {
    return id.hi() >>> 16;
  }
}
