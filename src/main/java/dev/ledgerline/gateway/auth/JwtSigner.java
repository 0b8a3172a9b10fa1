package dev.ledgerline.gateway.auth;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.Signature;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Compact JWS signing (RFC 7515) for RS256, ES256, EdDSA and HS256, with the JDK's own providers. */
public final class JwtSigner {
  private JwtSigner() {}

  /** Signs {@code claims} with a header of {@code alg}, {@code typ: JWT} and {@code kid} (when not null). */
  public static String sign(String alg, String kid, JsonObject claims, Key key) {
    JsonObject header = new JsonObject().put("alg", alg).put("typ", "JWT");
    if (kid != null) {
      header.put("kid", kid);
    }
    return sign(header, claims, key);
  }

  /** Signs with an arbitrary header: its {@code alg} chooses the algorithm. */
  public static String sign(JsonObject header, JsonObject claims, Key key) {
    String input = KeyMaterial.b64(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
        + KeyMaterial.b64(claims.encode().getBytes(StandardCharsets.UTF_8));
    return input + "." + KeyMaterial.b64(signature(header.getString("alg"), input.getBytes(StandardCharsets.US_ASCII),
        key));
  }

  /** The raw JWS signature bytes of {@code input}. */
  public static byte[] signature(String alg, byte[] input, Key key) {
    try {
      switch (alg) {
        case KeyMaterial.RS256:
          return sig("SHA256withRSA", input, (PrivateKey) key);
        case KeyMaterial.ES256:
          // JWS wants R||S (64 bytes), not DER: the JDK's P1363 format is exactly that.
          return sig("SHA256withECDSAinP1363Format", input, (PrivateKey) key);
        case KeyMaterial.EDDSA:
          return sig("Ed25519", input, (PrivateKey) key);
        case KeyMaterial.HS256: {
          Mac mac = Mac.getInstance("HmacSHA256");
          mac.init(key instanceof SecretKeySpec ? key : new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
          return mac.doFinal(input);
        }
        default:
          throw new IllegalArgumentException("unsupported algorithm " + alg);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with " + alg + ": " + e.getMessage(), e);
    }
  }

  private static byte[] sig(String name, byte[] input, PrivateKey key) throws GeneralSecurityException {
    Signature s = Signature.getInstance(name);
    s.initSign(key);
    s.update(input);
    return s.sign();
  }
}
