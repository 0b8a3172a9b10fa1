package dev.ledgerline.events;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, a 12-bit counter seeded at random each millisecond
 * (method 1 of section 6.2) and 62 random bits. Ids are strictly increasing within a process, so event ids sort in
 * the order they were made; if the clock goes back or the counter runs out, the last millisecond is kept.
 */
public final class Uuid7 {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int COUNTER_MAX = 0xFFF;
  private static long lastMillis = -1;
  private static int counter;

  private Uuid7() {}

  public static UUID next() {
    long millis;
    int seq;
    synchronized (Uuid7.class) {
      long now = System.currentTimeMillis();
      if (now > lastMillis) {
        lastMillis = now;
        counter = RANDOM.nextInt(COUNTER_MAX / 2); // leaves room to count up within the millisecond
      } else if (counter < COUNTER_MAX) {
        counter++;
      } else {
        lastMillis++; // counter exhausted: borrow the next millisecond rather than repeat or go back
        counter = 0;
      }
      millis = lastMillis;
      seq = counter;
    }
    long msb = (millis & 0xFFFF_FFFF_FFFFL) << 16 | 0x7000L | seq;
    long lsb = RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }

  /** The Unix milliseconds in a version-7 id. */
  public static long millisOf(UUID id) {
    if (id.version() != 7) throw new IllegalArgumentException("not a UUIDv7: " + id);
    return id.getMostSignificantBits() >>> 16;
  }
}
