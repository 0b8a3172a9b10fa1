package dev.ledgerline.gateway.auth;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;

/**
 * The key {@code ledgerline token} signs with: {@code auth.jwt.private-key}, else the development key when the
 * gateway would use it. The kid is the RFC 7638 thumbprint where the public key is known (RSA keys, the development
 * key); tokens without kid are checked against every key of their algorithm.
 */
public record SigningKey(PrivateKey key, String algorithm, String kid) {

  public static SigningKey load(JwtSettings s) {
    if (s.privateKey() != null) {
      PrivateKey key;
      try {
        key = KeyMaterial.privateKey(KeyMaterial.readPem(s.privateKey(), "PRIVATE KEY", "auth.jwt.private-key"));
      } catch (GeneralSecurityException e) {
        throw new AuthConfigException("auth.jwt.private-key", "auth.jwt.private-key file " + s.privateKey()
            + " is not an RSA, EC or Ed25519 private key in PKCS#8");
      }
      return of(key, s, "auth.jwt.private-key");
    }
    if (!s.hasConfiguredKeys()) {
      JwtKeys.requireDevKeysAllowed(s);
      return of(DevKeys.ensure(s.dataDir()), s, "auth.jwt.dev-keys");
    }
    throw new AuthConfigException("auth.jwt.private-key", "no signing key: set auth.jwt.private-key (the gateway's "
        + "keys are configured, so the development key is not used)");
  }

  private static SigningKey of(PrivateKey key, JwtSettings s, String configKey) {
    String alg;
    try {
      alg = KeyMaterial.algorithmOf(key);
    } catch (IllegalArgumentException e) {
      throw new AuthConfigException(configKey, configKey + ": " + e.getMessage());
    }
    if (!s.algorithms().contains(alg)) {
      throw new AuthConfigException(configKey, configKey + " is a " + alg + " key but auth.jwt.algorithms is "
          + s.algorithms());
    }
    PublicKey pub = KeyMaterial.publicOf(key);
    return new SigningKey(key, alg, pub == null ? null : KeyMaterial.thumbprint(pub));
  }
}
