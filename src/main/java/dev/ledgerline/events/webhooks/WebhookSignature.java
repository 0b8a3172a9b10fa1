package dev.ledgerline.events.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signing: {@code webhook-signature: v1,<base64 HMAC-SHA256(secret, "id.timestamp.body")>}, one
 * {@code v1,} entry per secret that signs (two during a rotation's grace period), separated by spaces. A secret is
 * {@code whsec_<base64 of 32 random bytes>}; the key is the decoded bytes, not the text.
 */
public final class WebhookSignature {
  public static final String SECRET_PREFIX = "whsec_";
  static final int SECRET_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();
  // A Mac is not thread-safe and costly to look up: one per thread (dispatchers run on event loops).
  private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  });

  private WebhookSignature() {}

  /** A fresh secret, {@code whsec_} and 32 random bytes in base64. */
  public static String newSecret() {
    byte[] key = new byte[SECRET_BYTES];
    RANDOM.nextBytes(key);
    return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /** The HMAC key of a secret: its base64 part decoded. */
  public static byte[] key(String secret) {
    if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
      throw new IllegalArgumentException("not a whsec_ secret");
    }
    return Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
  }

  /** One {@code v1,<base64>} entry. */
  public static String sign(byte[] key, String id, long timestampSeconds, byte[] body) {
    Mac mac = MAC.get();
    try {
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
  }

  /** The header value: an entry per key, in order (the current secret first), separated by single spaces. */
  public static String header(List<byte[]> keys, String id, long timestampSeconds, byte[] body) {
    StringBuilder b = new StringBuilder();
    for (byte[] key : keys) {
      b.append(b.length() == 0 ? "" : " ").append(sign(key, id, timestampSeconds, body));
    }
    return b.toString();
  }
}
