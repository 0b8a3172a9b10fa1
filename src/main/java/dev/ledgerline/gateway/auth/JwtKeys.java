package dev.ledgerline.gateway.auth;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The verification keys of the gateway, each bound to one algorithm and known by a kid: PEM public keys (kid = RFC
 * 7638 thumbprint), a JWK Set file (kid as given, required), the HS256 secret, or the development key. Immutable: a
 * JWKS change builds a new set.
 */
public final class JwtKeys {
  /** The kid of the HS256 secret. */
  public static final String HS256_KID = "hs256";
  private static final Set<String> PRIVATE_MEMBERS = Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");
  /** DER header of an Ed25519 SubjectPublicKeyInfo; the 32-byte key follows. */
  private static final byte[] ED25519_SPKI_HEADER = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21,
      0x00};

  private final List<JsonObject> jwks;
  private final Map<String, Set<String>> kidsByAlgorithm;
  private final boolean development;
  private final byte[] jwksDigest;

  private JwtKeys(List<JsonObject> jwks, boolean development, byte[] jwksDigest) {
    this.jwks = List.copyOf(jwks);
    Map<String, Set<String>> m = new HashMap<>();
    for (JsonObject k : jwks) {
      m.computeIfAbsent(k.getString("alg"), a -> new HashSet<>()).add(k.getString("kid"));
    }
    m.replaceAll((a, s) -> Set.copyOf(s));
    this.kidsByAlgorithm = Collections.unmodifiableMap(m);
    this.development = development;
    this.jwksDigest = jwksDigest;
  }

  /**
   * Loads every configured key. With none configured, uses (and on first start generates) the development key when
   * {@code dev-keys} allows it, else throws {@link NoVerificationKeysException} (or, for {@code auto} on a
   * non-loopback gateway, an {@link AuthConfigException} naming {@code auth.jwt.dev-keys}).
   */
  public static JwtKeys load(JwtSettings s) {
    List<JsonObject> keys = new ArrayList<>();
    Set<String> kids = new HashSet<>();
    for (Path pem : s.publicKeys()) {
      PublicKey key;
      try {
        key = KeyMaterial.publicKey(KeyMaterial.readPem(pem, "PUBLIC KEY", "auth.jwt.public-keys"));
      } catch (GeneralSecurityException e) {
        throw new AuthConfigException("auth.jwt.public-keys", "auth.jwt.public-keys file " + pem
            + " is not an RSA, EC or Ed25519 public key");
      }
      add(keys, kids, s, key, KeyMaterial.thumbprint(key), null, "auth.jwt.public-keys", pem.toString());
    }
    byte[] digest = null;
    if (s.jwksFile() != null) {
      byte[] content = readJwks(s.jwksFile());
      digest = KeyMaterial.sha256(content);
      parseJwks(content, s, keys, kids);
    }
    if (s.hs256Secret() != null) {
      keys.add(new JsonObject().put("kty", "oct").put("k", KeyMaterial.b64(s.hs256Secret()))
          .put("alg", KeyMaterial.HS256).put("use", "sig").put("kid", HS256_KID));
    }
    boolean development = false;
    if (keys.isEmpty() && !s.hasConfiguredKeys()) {
      requireDevKeysAllowed(s);
      PublicKey dev = KeyMaterial.publicOf(DevKeys.ensure(s.dataDir()));
      add(keys, kids, s, dev, KeyMaterial.thumbprint(dev), null, "auth.jwt.dev-keys", "the development key");
      development = true;
    }
    if (keys.isEmpty()) {
      throw new NoVerificationKeysException();
    }
    return new JwtKeys(keys, development, digest);
  }

  /**
   * Refuses the development key where the settings forbid it: {@code false}, or {@code auto} with a gateway that
   * other machines can reach (anyone who reads the data directory could mint tokens for it).
   */
  static void requireDevKeysAllowed(JwtSettings s) {
    if (s.devKeysAllowed()) {
      return;
    }
    if (s.devKeys() == JwtSettings.DevKeysPolicy.AUTO) {
      throw new AuthConfigException("auth.jwt.dev-keys", "no JWT verification key configured and gateway.host is not "
          + "a loopback address: auth.jwt.dev-keys auto uses development keys only on loopback. Set "
          + "auth.jwt.public-keys, auth.jwt.jwks-file or auth.jwt.hs256-secret (or auth.jwt.dev-keys: true to use "
          + "development keys on a reachable gateway, never in production)");
    }
    throw new NoVerificationKeysException();
  }

  static byte[] readJwks(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new AuthConfigException("auth.jwt.jwks-file", "cannot read auth.jwt.jwks-file " + file + ": "
          + e.getMessage());
    }
  }

  private static void parseJwks(byte[] content, JwtSettings s, List<JsonObject> keys, Set<String> kids) {
    String where = "auth.jwt.jwks-file " + s.jwksFile();
    JsonArray array;
    try {
      array = new JsonObject(new String(content, java.nio.charset.StandardCharsets.UTF_8)).getJsonArray("keys");
    } catch (DecodeException | ClassCastException e) {
      throw new AuthConfigException("auth.jwt.jwks-file", where + " is not a JWK Set ({\"keys\": [...]})");
    }
    if (array == null) {
      throw new AuthConfigException("auth.jwt.jwks-file", where + " has no \"keys\" array");
    }
    for (int i = 0; i < array.size(); i++) {
      String at = where + " keys[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject)) {
        throw new AuthConfigException("auth.jwt.jwks-file", at + " is not an object");
      }
      JsonObject jwk = array.getJsonObject(i);
      for (String m : PRIVATE_MEMBERS) {
        if (jwk.containsKey(m)) {
          throw new AuthConfigException("auth.jwt.jwks-file", at + " holds private or symmetric key material (\"" + m
              + "\"); a JWKS for verification has public keys only");
        }
      }
      String kid = jwk.getValue("kid") instanceof String ? jwk.getString("kid") : null;
      if (kid == null || kid.isEmpty()) {
        throw new AuthConfigException("auth.jwt.jwks-file", at + " has no kid; keys are chosen by kid");
      }
      Object use = jwk.getValue("use");
      if (use != null && !"sig".equals(use)) {
        throw new AuthConfigException("auth.jwt.jwks-file", at + " (kid " + kid + ") has use " + use
            + "; only sig keys verify tokens");
      }
      PublicKey key;
      try {
        key = fromJwk(jwk);
      } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException | NullPointerException e) {
        throw new AuthConfigException("auth.jwt.jwks-file", at + " (kid " + kid + ") is not a usable RSA, EC P-256 or "
            + "Ed25519 public key");
      }
      add(keys, kids, s, key, kid, jwk.getString("alg"), "auth.jwt.jwks-file", at + " (kid " + kid + ")");
    }
  }

  private static PublicKey fromJwk(JsonObject jwk) throws GeneralSecurityException {
    Base64.Decoder d = Base64.getUrlDecoder();
    switch (jwk.getString("kty", "")) {
      case "RSA":
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
            new BigInteger(1, d.decode(jwk.getString("n"))), new BigInteger(1, d.decode(jwk.getString("e")))));
      case "EC": {
        if (!"P-256".equals(jwk.getString("crv"))) {
          throw new IllegalArgumentException("curve");
        }
        AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
        params.init(new ECGenParameterSpec("secp256r1"));
        ECPoint w = new ECPoint(new BigInteger(1, d.decode(jwk.getString("x"))),
            new BigInteger(1, d.decode(jwk.getString("y"))));
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w,
            params.getParameterSpec(ECParameterSpec.class)));
      }
      case "OKP": {
        if (!"Ed25519".equals(jwk.getString("crv"))) {
          throw new IllegalArgumentException("curve");
        }
        byte[] x = d.decode(jwk.getString("x"));
        if (x.length != 32) {
          throw new IllegalArgumentException("length");
        }
        byte[] spki = Arrays.copyOf(ED25519_SPKI_HEADER, ED25519_SPKI_HEADER.length + 32);
        System.arraycopy(x, 0, spki, ED25519_SPKI_HEADER.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
      }
      default:
        throw new IllegalArgumentException("kty");
    }
  }

  private static void add(List<JsonObject> keys, Set<String> kids, JwtSettings s, PublicKey key, String kid,
      String declaredAlg, String configKey, String what) {
    String alg;
    try {
      alg = KeyMaterial.algorithmOf(key);
    } catch (IllegalArgumentException e) {
      throw new AuthConfigException(configKey, what + ": " + e.getMessage());
    }
    if (declaredAlg != null && !declaredAlg.equals(alg)) {
      throw new AuthConfigException(configKey, what + " declares alg " + declaredAlg + " but its key type is used "
          + "with " + alg + " only");
    }
    if (!s.algorithms().contains(alg)) {
      throw new AuthConfigException(configKey, what + " is a " + alg + " key but auth.jwt.algorithms is "
          + s.algorithms());
    }
    if (!kids.add(kid)) {
      throw new AuthConfigException(configKey, what + ": kid " + kid + " is used by another key");
    }
    keys.add(KeyMaterial.publicJwk(key).put("kid", kid).put("alg", alg).put("use", "sig"));
  }

  /** The keys as JWKs for vert.x-auth-jwt. */
  public List<JsonObject> jwks() {
    return jwks;
  }

  /** Algorithms for which there is at least one key. */
  public Set<String> algorithms() {
    return kidsByAlgorithm.keySet();
  }

  /** True when a key with this kid verifies this algorithm. */
  public boolean knows(String algorithm, String kid) {
    Set<String> k = kidsByAlgorithm.get(algorithm);
    return k != null && k.contains(kid);
  }

  public int size() {
    return jwks.size();
  }

  /** True when these are the generated development keys. */
  public boolean isDevelopment() {
    return development;
  }

  /** SHA-256 of the JWKS file these keys were loaded from, or null. */
  byte[] jwksDigest() {
    return jwksDigest == null ? null : jwksDigest.clone();
  }

  /** kids by algorithm, for logs. */
  @Override
  public String toString() {
    return kidsByAlgorithm.toString();
  }
}
