package dev.ledgerline.vault;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM through JCA, and the vault's associated data. Every encryption draws a fresh 96-bit nonce from
 * {@link SecureRandom}: a (key, nonce) pair used twice would give away the authentication key, and random nonces
 * stay safe for about 2^32 encryptions per key (NIST SP 800-38D), far beyond what a token vault writes between
 * rotations.
 */
final class VaultCipher {
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;
  static final int TAG_BYTES = TAG_BITS / 8;
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";
  /** First byte of the associated data: the layout below, so a later layout can never be read as this one. */
  private static final byte AAD_FORMAT = 1;

  private final SecureRandom random;

  VaultCipher(SecureRandom random) {
    this.random = random;
  }

  VaultCipher() {
    this(new SecureRandom());
  }

  /** A nonce and the ciphertext with its tag appended. */
  record Sealed(byte[] nonce, byte[] ciphertext) {}

  Sealed seal(SecretKey key, byte[] aad, byte[] plaintext) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      return new Sealed(nonce, seal(key, nonce, aad, plaintext));
    } catch (GeneralSecurityException e) {
      // Only a JVM without AES-GCM gets here; the message carries no data.
      throw new IllegalStateException("AES-GCM is not available: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * Encryption with a given nonce: the seam the known-answer tests use. Nothing else may call it, because a nonce
   * chosen by a caller is a nonce that can repeat.
   */
  static byte[] seal(SecretKey key, byte[] nonce, byte[] aad, byte[] plaintext) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance(TRANSFORMATION);
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(aad);
    return cipher.doFinal(plaintext);
  }

  /**
   * Decrypts and checks the tag; JCA returns no plaintext unless the tag matches.
   *
   * @throws AEADBadTagException when the key, nonce, ciphertext, tag or associated data is not what was sealed
   */
  static byte[] open(SecretKey key, byte[] nonce, byte[] aad, byte[] ciphertext) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance(TRANSFORMATION);
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(aad);
    return cipher.doFinal(ciphertext);
  }

  /**
   * The associated data of one row: format byte, then user id, kind and key id as length-prefixed UTF-8, then the
   * row id's 16 bytes. Length prefixes keep ("ab", "c") and ("a", "bc") apart.
   */
  static byte[] aad(String userId, String kind, String keyId, UUID rowId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.write(AAD_FORMAT);
    field(out, userId.getBytes(StandardCharsets.UTF_8));
    field(out, kind.getBytes(StandardCharsets.UTF_8));
    field(out, keyId.getBytes(StandardCharsets.UTF_8));
    field(out, ByteBuffer.allocate(16).putLong(rowId.getMostSignificantBits())
        .putLong(rowId.getLeastSignificantBits()).array());
    return out.toByteArray();
  }

  private static void field(ByteArrayOutputStream out, byte[] value) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
    out.writeBytes(value);
  }
}
