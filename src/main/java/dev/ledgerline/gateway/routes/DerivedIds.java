package dev.ledgerline.gateway.routes;

import dev.ledgerline.ledger.model.ReservedIds;
import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Ledger ids derived from (subject, idempotency key, position) when the client sends none: a retry of a request whose
 * answer was lost (even after its key expired or was released) writes the same id again, which the ledger answers with
 * {@code exists} instead of moving the money twice.
 */
public final class DerivedIds {
  private DerivedIds() {}

  public static UInt128 of(String route, String subject, String key, int index) {
    ByteBuffer d = digest(route, subject, key, index);
    long hi = d.getLong();
    long lo = d.getLong();
    // The platform's own range is left to it: a digest landing there (once in 2^32, so findable) moves out of it.
    UInt128 id = ReservedIds.outside(UInt128.of(lo, hi));
    // 0 and 2^128-1 are not valid ids; a 2^-127 chance, but cheap to rule out.
    return id.isZero() || id.isMax() ? UInt128.of(lo ^ 1, id.hi()) : id;
  }

  /** The same derivation as a version-4-shaped UUID, for rows outside the ledger (a webhook endpoint's id). */
  public static UUID uuid(String route, String subject, String key) {
    ByteBuffer d = digest(route, subject, key, 0);
    long hi = (d.getLong() & ~0xF000L) | 0x4000L;
    long lo = (d.getLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(hi, lo);
  }

  private static ByteBuffer digest(String route, String subject, String key, int index) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {route, subject, key}) {
        byte[] b = part.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
      }
      md.update(ByteBuffer.allocate(4).putInt(index).array());
      return ByteBuffer.wrap(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
