package dev.ledgerline.gateway.stream;

import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cursors of {@code /v1/stream}: opaque to clients, authenticated, and bound to one account. A cursor is the
 * base64url (no padding) of a version byte, the account id (16 bytes), the transfer timestamp (8 bytes), the time
 * it was issued (milliseconds since the epoch, 8 bytes; the resume window counts from it, so a cursor of a quiet
 * account is as good as one of a busy account) and the first 16 bytes of HMAC-SHA256 over those 33 bytes, with a
 * key every gateway of the cluster shares. A client cannot
 * make one up, move one to another account or change its position; a cursor from a frame of account A resumes only
 * A, and the subscribe that presents it is still checked for ownership.
 */
public final class StreamCursors {
  /** The shortest key accepted: 256 bits, HMAC-SHA256's own block of security. */
  public static final int MIN_KEY_BYTES = 32;
  private static final byte VERSION = 1;
  private static final int BODY = 1 + 16 + 8 + 8;
  private static final int TAG = 16;
  /** A cursor's length in characters: base64 of 49 bytes without padding. */
  static final int LENGTH = ((BODY + TAG) * 4 + 2) / 3;

  private final SecretKeySpec key;
  /** Mac instances are not thread-safe; gateway instances on several event loops share this object. */
  private final ThreadLocal<Mac> macs;

  public StreamCursors(byte[] key) {
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException("a stream cursor key needs at least " + MIN_KEY_BYTES + " bytes, got "
          + key.length);
    }
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(this.key);
        return m;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    });
  }

  /**
   * A position in account {@code account}'s frames: after the transfer with timestamp {@code timestamp}; the cursor
   * was issued at {@code issuedMillis}.
   */
  public record Position(UInt128 account, long timestamp, long issuedMillis) {}

  /** Why a client's cursor is refused: malformed (not a cursor at all) or not ours (forged or altered). */
  public static final class Refused extends Exception {
    private final boolean malformed;

    Refused(boolean malformed, String message) {
      super(message, null, false, false);
      this.malformed = malformed;
    }

    public boolean malformed() {
      return malformed;
    }
  }

  /** A cursor issued now. */
  public String encode(UInt128 account, long timestamp) {
    return encode(account, timestamp, System.currentTimeMillis());
  }

  public String encode(UInt128 account, long timestamp, long issuedMillis) {
    ByteBuffer b = ByteBuffer.allocate(BODY + TAG);
    b.put(VERSION).putLong(account.hi()).putLong(account.lo()).putLong(timestamp).putLong(issuedMillis);
    b.put(tag(b.array()), 0, TAG);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  /** The position a client's cursor names, or {@link Refused}. */
  public Position decode(String cursor) throws Refused {
    if (cursor.length() != LENGTH) throw new Refused(true, "not a stream cursor");
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(cursor);
    } catch (IllegalArgumentException e) {
      throw new Refused(true, "not a stream cursor");
    }
    if (raw.length != BODY + TAG || raw[0] != VERSION) throw new Refused(true, "not a stream cursor");
    byte[] expected = tag(raw);
    byte[] given = java.util.Arrays.copyOfRange(raw, BODY, BODY + TAG);
    // Constant time: a forger learns nothing from how long the comparison took.
    if (!MessageDigest.isEqual(java.util.Arrays.copyOf(expected, TAG), given)) {
      throw new Refused(false, "not a cursor of this service");
    }
    ByteBuffer b = ByteBuffer.wrap(raw, 1, BODY - 1);
    long hi = b.getLong();
    long lo = b.getLong();
    return new Position(UInt128.of(lo, hi), b.getLong(), b.getLong());
  }

  /**
   * Another API's opaque cursor under the same key: base64url of {@code body}, a dot, and 16 bytes of HMAC-SHA256 over
   * {@code purpose}, {@code binding} and {@code body}. The purpose keeps one API's cursors out of another's; the
   * binding (what the cursor is only good for, e.g. the caller and the query) is checked, not carried.
   */
  public String seal(String purpose, String binding, String body) {
    byte[] raw = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "."
        + Base64.getUrlEncoder().withoutPadding().encodeToString(sealTag(purpose, binding, raw));
  }

  /** The body of a cursor {@link #seal} made for this purpose and binding, or {@link Refused}. */
  public String open(String purpose, String binding, String cursor) throws Refused {
    int dot = cursor.indexOf('.');
    byte[] raw;
    byte[] given;
    try {
      if (dot < 1 || cursor.length() > 1024) throw new IllegalArgumentException();
      raw = Base64.getUrlDecoder().decode(cursor.substring(0, dot));
      given = Base64.getUrlDecoder().decode(cursor.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw new Refused(true, "not a cursor");
    }
    if (!MessageDigest.isEqual(sealTag(purpose, binding, raw), given)) {
      throw new Refused(false, "not a cursor of this service");
    }
    return new String(raw, java.nio.charset.StandardCharsets.UTF_8);
  }

  private byte[] sealTag(String purpose, String binding, byte[] body) {
    Mac mac = macs.get();
    // Lengths first: no two (purpose, binding, body) triples give the same MAC input.
    byte[] p = purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] b = binding.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    mac.update(ByteBuffer.allocate(13).put((byte) 0xFF).putInt(p.length).putInt(b.length).putInt(body.length)
        .array());
    mac.update(p);
    mac.update(b);
    mac.update(body);
    return java.util.Arrays.copyOf(mac.doFinal(), TAG);
  }

  private byte[] tag(byte[] message) {
    Mac mac = macs.get();
    mac.update(message, 0, BODY);
    return mac.doFinal();
  }
}
