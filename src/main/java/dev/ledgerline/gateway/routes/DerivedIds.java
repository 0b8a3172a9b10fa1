package dev.ledgerline.gateway.routes;

import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Ledger ids derived from (subject, idempotency key, position) when the client sends none: a retry of a request whose
 * answer was lost (even after its key expired or was released) writes the same id again, which the ledger answers with
 * {@code exists} instead of moving the money twice.
 */
public final class DerivedIds {
  private DerivedIds() {}

  public static UInt128 of(String route, String subject, String key, int index) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {route, subject, key}) {
        byte[] b = part.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
      }
      md.update(ByteBuffer.allocate(4).putInt(index).array());
      ByteBuffer d = ByteBuffer.wrap(md.digest());
      long hi = d.getLong();
      long lo = d.getLong();
      UInt128 id = UInt128.of(lo, hi);
      // 0 and 2^128-1 are not valid ids; a 2^-127 chance, but cheap to rule out.
      return id.isZero() || id.isMax() ? UInt128.of(lo ^ 1, hi) : id;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
