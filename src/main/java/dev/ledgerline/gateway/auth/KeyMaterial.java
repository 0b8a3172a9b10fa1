package dev.ledgerline.gateway.auth;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM and JWK handling for the three asymmetric algorithms the gateway accepts. Each key type is bound to exactly one
 * algorithm (RFC 8725 §3.1): RSA (2048 bits or more) to RS256, EC P-256 to ES256, Ed25519 to EdDSA.
 */
public final class KeyMaterial {
  public static final String RS256 = "RS256";
  public static final String ES256 = "ES256";
  public static final String EDDSA = "EdDSA";
  public static final String HS256 = "HS256";
  public static final int MIN_RSA_BITS = 2048;

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final List<String> KEY_FACTORIES = List.of("RSA", "EC", "Ed25519");

  private KeyMaterial() {}

  /** The DER bytes of the first PEM block of the given type in a file. */
  static byte[] readPem(Path file, String type, String configKey) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new AuthConfigException(configKey, "cannot read " + configKey + " file " + file + ": " + e.getMessage());
    }
    return pemBlock(text, type).orElseThrow(() -> new AuthConfigException(configKey, configKey + " file " + file
        + " holds no \"" + type + "\" PEM block" + (type.equals("PRIVATE KEY") ? " (PKCS#8 expected; convert with "
        + "openssl pkcs8 -topk8 -nocrypt)" : "")));
  }

  static java.util.Optional<byte[]> pemBlock(String text, String type) {
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(type)) {
        return java.util.Optional.of(Base64.getMimeDecoder().decode(m.group(2)));
      }
    }
    return java.util.Optional.empty();
  }

  public static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** A public key from its X.509 SubjectPublicKeyInfo encoding (PEM "PUBLIC KEY"). */
  public static PublicKey publicKey(byte[] spki) throws GeneralSecurityException {
    return decode(f -> f.generatePublic(new X509EncodedKeySpec(spki)));
  }

  /** A private key from its PKCS#8 encoding (PEM "PRIVATE KEY"). */
  public static PrivateKey privateKey(byte[] pkcs8) throws GeneralSecurityException {
    return decode(f -> f.generatePrivate(new PKCS8EncodedKeySpec(pkcs8)));
  }

  @FunctionalInterface
  private interface KeyDecoder<K extends Key> {
    K decode(KeyFactory factory) throws GeneralSecurityException;
  }

  /** The encoding names no algorithm: the first key factory that accepts it wins; else the last one's error. */
  private static <K extends Key> K decode(KeyDecoder<K> decoder) throws GeneralSecurityException {
    GeneralSecurityException last = null;
    for (String kf : KEY_FACTORIES) {
      try {
        return decoder.decode(KeyFactory.getInstance(kf));
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }

  /** The one algorithm a key is used with, or an explanation of why it cannot be used. */
  public static String algorithmOf(Key key) {
    if (key instanceof RSAKey) {
      int bits = ((RSAKey) key).getModulus().bitLength();
      if (bits < MIN_RSA_BITS) {
        throw new IllegalArgumentException("RSA key of " + bits + " bits; at least " + MIN_RSA_BITS + " required");
      }
      return RS256;
    }
    if (key instanceof ECKey) {
      int bits = ((ECKey) key).getParams().getCurve().getField().getFieldSize();
      if (bits != 256) {
        throw new IllegalArgumentException("EC key on a " + bits + "-bit curve; only P-256 (ES256) is accepted");
      }
      return ES256;
    }
    if (key instanceof EdECKey) {
      String curve = ((EdECKey) key).getParams().getName();
      if (!curve.equalsIgnoreCase("Ed25519")) {
        throw new IllegalArgumentException(curve + " key; only Ed25519 (EdDSA) is accepted");
      }
      return EDDSA;
    }
    throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm());
  }

  /** The public key of an RSA private key (RSA only: other types do not carry it in PKCS#8). Null otherwise. */
  public static PublicKey publicOf(PrivateKey key) {
    if (key instanceof RSAPrivateCrtKey) {
      RSAPrivateCrtKey k = (RSAPrivateCrtKey) key;
      try {
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(k.getModulus(),
            k.getPublicExponent()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    return null;
  }

  /** The public JWK members (RFC 7517/7518/8037) of a key, without kid, alg or use. */
  static JsonObject publicJwk(PublicKey key) {
    if (key instanceof RSAPublicKey) {
      RSAPublicKey k = (RSAPublicKey) key;
      return new JsonObject().put("kty", "RSA").put("n", b64(unsigned(k.getModulus())))
          .put("e", b64(unsigned(k.getPublicExponent())));
    }
    if (key instanceof ECPublicKey) {
      ECPublicKey k = (ECPublicKey) key;
      return new JsonObject().put("kty", "EC").put("crv", "P-256")
          .put("x", b64(fixed(k.getW().getAffineX(), 32))).put("y", b64(fixed(k.getW().getAffineY(), 32)));
    }
    if (key instanceof EdECKey) {
      byte[] spki = key.getEncoded();
      // An Ed25519 SubjectPublicKeyInfo is a 12-byte header followed by the 32-byte public key.
      byte[] x = java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length);
      return new JsonObject().put("kty", "OKP").put("crv", "Ed25519").put("x", b64(x));
    }
    throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm());
  }

  /** RFC 7638 JWK thumbprint (SHA-256): a stable kid for a key that came without one. */
  public static String thumbprint(PublicKey key) {
    JsonObject jwk = publicJwk(key);
    String canonical;
    switch (jwk.getString("kty")) {
      case "RSA":
        canonical = "{\"e\":\"" + jwk.getString("e") + "\",\"kty\":\"RSA\",\"n\":\"" + jwk.getString("n") + "\"}";
        break;
      case "EC":
        canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + jwk.getString("x") + "\",\"y\":\""
            + jwk.getString("y") + "\"}";
        break;
      default:
        canonical = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + jwk.getString("x") + "\"}";
    }
    return b64(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
  }

  static byte[] sha256(byte[] in) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(in);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String b64(byte[] b) {
    return B64URL.encodeToString(b);
  }

  private static byte[] unsigned(BigInteger v) {
    byte[] b = v.toByteArray();
    if (b.length > 1 && b[0] == 0) {
      return java.util.Arrays.copyOfRange(b, 1, b.length);
    }
    return b;
  }

  private static byte[] fixed(BigInteger v, int len) {
    byte[] b = unsigned(v);
    if (b.length == len) {
      return b;
    }
    byte[] out = new byte[len];
    System.arraycopy(b, 0, out, len - b.length, b.length);
    return out;
  }
}
