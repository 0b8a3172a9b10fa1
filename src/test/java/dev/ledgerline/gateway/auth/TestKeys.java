package dev.ledgerline.gateway.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Key pairs, settings and claims for authentication tests. */
public final class TestKeys {
  public static final String ISSUER = "test-issuer";
  public static final String AUDIENCE = "test-api";

  private TestKeys() {}

  public static KeyPair rsa() {
    return generate("RSA", 2048);
  }

  public static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair ed25519() {
    return generate("Ed25519", 0);
  }

  private static KeyPair generate(String alg, int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
      if (bits > 0) {
        g.initialize(bits);
      }
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static Path writePublicPem(Path dir, String name, KeyPair pair) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, KeyMaterial.pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    return f;
  }

  public static Path writePrivatePem(Path dir, String name, KeyPair pair) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, KeyMaterial.pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    return f;
  }

  /** A JWKS file with the public keys of the pairs, kids as given. */
  public static void writeJwks(Path file, List<KeyPair> pairs, List<String> kids) throws Exception {
    JsonArray keys = new JsonArray();
    for (int i = 0; i < pairs.size(); i++) {
      keys.add(KeyMaterial.publicJwk(pairs.get(i).getPublic()).put("kid", kids.get(i)));
    }
    Files.writeString(file, new JsonObject().put("keys", keys).encodePrettily());
  }

  public static JwtSettings settings(List<Path> pems, Path jwks, Set<String> algorithms, byte[] secret,
      boolean devKeys, Path dataDir) {
    return new JwtSettings(pems, jwks, Duration.ofSeconds(5), null, algorithms, secret, ISSUER, AUDIENCE,
        Duration.ofSeconds(30), true, devKeys, 1000, dataDir);
  }

  /** Claims that pass every rule, valid for an hour from now. */
  public static JsonObject claims() {
    long now = Instant.now().getEpochSecond();
    return new JsonObject().put("iss", ISSUER).put("aud", AUDIENCE).put("sub", "alice")
        .put("roles", new JsonArray().add("user")).put("jti", UUID.randomUUID().toString())
        .put("iat", now).put("exp", now + 3600);
  }
}
