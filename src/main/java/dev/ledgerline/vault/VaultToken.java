package dev.ledgerline.vault;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A token taken out of the vault. It keeps the plaintext as bytes and hands out a String only when asked, so it
 * does not end up in a log line, an exception or a debugger's summary by accident: {@link #toString()} shows no
 * part of it. {@link #destroy()} overwrites the bytes once the caller is done.
 */
public final class VaultToken {
  private final byte[] value;

  private VaultToken(byte[] value) {
    this.value = value;
  }

  /** Takes ownership of {@code utf8}: the caller must not reuse the array. */
  static VaultToken wrap(byte[] utf8) {
    return new VaultToken(utf8);
  }

  public static VaultToken of(String token) {
    return new VaultToken(token.getBytes(StandardCharsets.UTF_8));
  }

  /** The token's text, for the one call that sends it to the provider. */
  public String reveal() {
    return new String(value, StandardCharsets.UTF_8);
  }

  /** A copy of the UTF-8 bytes. */
  public byte[] bytes() {
    return value.clone();
  }

  public int length() {
    return value.length;
  }

  /** Overwrites the bytes; {@link #reveal()} gives zeros afterwards. */
  public void destroy() {
    Arrays.fill(value, (byte) 0);
  }

  @Override
  public String toString() {
    return "VaultToken[***]";
  }

  @Override
  public boolean equals(Object o) {
    // Constant time, like every comparison of secrets.
    return o instanceof VaultToken other && java.security.MessageDigest.isEqual(value, other.value);
  }

  @Override
  public int hashCode() {
    // Equal tokens must hash alike; the length is all a hash needs to give away.
    return value.length;
  }
}
