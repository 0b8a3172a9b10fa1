package dev.ledgerline.providers.sandbox;

import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Signs webhooks the way Plaid does: a compact ES256 JWT in the {@code Plaid-Verification} header whose header names
 * the key ({@code kid}) and whose claims are {@code iat} and {@code request_body_sha256} (hex SHA-256 of the exact
 * body bytes). The public key is served as a JWK by {@code /webhook_verification_key/get}. A fresh P-256 key per
 * sandbox process: it stands in for Plaid's rotating keys.
 *
 * <p>JCA signs with {@code SHA256withECDSAinP1363Format}, which yields JWS's raw r||s signature directly.
 */
final class WebhookSigner {
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final int COORDINATE_BYTES = 32;

  private final KeyPair keys;
  private final String kid;
  private final long createdAt;

  WebhookSigner() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      this.keys = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no P-256 key pair generator", e);
    }
    this.kid = UUID.randomUUID().toString();
    this.createdAt = Instant.now().getEpochSecond();
  }

  String kid() {
    return kid;
  }

  /** The {@code Plaid-Verification} header value for {@code body}, signed now. */
  String sign(byte[] body) {
    try {
      String header = B64URL.encodeToString(new JsonObject().put("alg", "ES256").put("kid", kid).put("typ", "JWT")
          .encode().getBytes(StandardCharsets.UTF_8));
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
      String claims = B64URL.encodeToString(new JsonObject().put("iat", Instant.now().getEpochSecond())
          .put("request_body_sha256", hash).encode().getBytes(StandardCharsets.UTF_8));
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initSign(keys.getPrivate());
      s.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
      return header + "." + claims + "." + B64URL.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing a webhook failed", e);
    }
  }

  /** The public key in Plaid's {@code /webhook_verification_key/get} shape. */
  JsonObject jwk() {
    ECPublicKey pub = (ECPublicKey) keys.getPublic();
    return new JsonObject().put("alg", "ES256").put("created_at", createdAt).put("crv", "P-256")
        .put("expired_at", (Object) null).put("kid", kid).put("kty", "EC").put("use", "sig")
        .put("x", coordinate(pub.getW().getAffineX())).put("y", coordinate(pub.getW().getAffineY()));
  }

  /** A JWK coordinate: exactly 32 big-endian bytes (BigInteger may add a sign byte or drop leading zeros). */
  private static String coordinate(BigInteger v) {
    byte[] raw = v.toByteArray();
    byte[] out = new byte[COORDINATE_BYTES];
    int copy = Math.min(raw.length, COORDINATE_BYTES);
    System.arraycopy(raw, raw.length - copy, out, COORDINATE_BYTES - copy, copy);
    return B64URL.encodeToString(out);
  }
}
