package dev.ledgerline.vault;

/**
 * Why the vault refused: one type with a reason, so callers switch on {@link #reason()} and never parse text. A
 * message names the user, the kind, the row or the key id, and never the token or any key material.
 */
public final class VaultException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public enum Reason {
    /** No token is stored for this user and kind. */
    MISSING,
    /** The row names a key id the key ring does not have (removed from {@code vault.keys} too early). */
    UNKNOWN_KEY,
    /** The key ring's key under this id is not the one the vault first used under it (its check value differs). */
    WRONG_KEY,
    /**
     * The ciphertext, nonce, tag or associated data (user, kind, key id, row id) is not what was encrypted: the row
     * was altered or moved. GCM cannot tell which field changed, and the vault does not guess.
     */
    TAMPERED
  }

  private final Reason reason;

  public VaultException(Reason reason, String message) {
    this(reason, message, null);
  }

  public VaultException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
