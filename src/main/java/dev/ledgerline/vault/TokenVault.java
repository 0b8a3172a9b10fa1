package dev.ledgerline.vault;

import dev.ledgerline.vault.VaultException.Reason;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provider access tokens, one per (user, kind), encrypted with AES-256-GCM in {@code vault_tokens}. Each row is
 * sealed under the key ring's active key with a fresh nonce, and its user id, kind, key id and row id are the
 * associated data: a ciphertext copied to another row, another user or another key id fails to decrypt. Every call
 * is asynchronous on the node's PostgreSQL pool; the cipher work itself is a few microseconds per token.
 */
public final class TokenVault {
  private static final Logger LOG = LoggerFactory.getLogger(TokenVault.class);
  private static final int MAX_USER_ID = 256;
  private static final Pattern KIND = Pattern.compile("[a-z0-9][a-z0-9._:-]{0,63}");
  /** Plaid's access tokens are about 50 characters; anything this long is not a token. */
  static final int MAX_TOKEN_BYTES = 4096;

  private final Pool pool;
  private final KeyRing ring;
  private final VaultCipher cipher;
  /** Key ids whose check value differs from the one recorded when the vault first used them. */
  private final Set<String> wrongKeys;

  private TokenVault(Pool pool, KeyRing ring, VaultCipher cipher, Set<String> wrongKeys) {
    this.pool = pool;
    this.ring = ring;
    this.cipher = cipher;
    this.wrongKeys = wrongKeys;
  }

  /**
   * Opens the vault: records each key's check value on first use and compares it afterwards. Fails with
   * {@link Reason#WRONG_KEY} when the active key id now names different bytes (new tokens would be sealed under a
   * key the old rows of that id cannot share); another key id that changed is warned about and its rows answer
   * {@code WRONG_KEY}.
   */
  public static Future<TokenVault> open(Pool pool, KeyRing ring) {
    Objects.requireNonNull(pool);
    List<Tuple> checks = new ArrayList<>();
    for (String id : ring.keyIds()) {
      checks.add(Tuple.of(id, Buffer.buffer(ring.check(id))));
    }
    return pool.preparedQuery(
            "INSERT INTO vault_keys (key_id, key_check) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING")
        .executeBatch(checks)
        .compose(v -> pool.preparedQuery("SELECT key_id, key_check FROM vault_keys WHERE key_id = ANY($1)")
            .execute(Tuple.of(ring.keyIds().toArray(String[]::new))))
        .compose(rows -> {
          Set<String> wrong = new HashSet<>();
          for (Row row : rows) {
            String id = row.getString("key_id");
            if (!MessageDigest.isEqual(ring.check(id), row.getBuffer("key_check").getBytes())) {
              wrong.add(id);
            }
          }
          if (wrong.contains(ring.activeKeyId())) {
            return Future.failedFuture(new VaultException(Reason.WRONG_KEY, "vault key " + ring.activeKeyId()
                + " (vault.active-key) is not the key this vault first used under that id; give new key bytes a"
                + " new key id, or, if the old key is lost for good, see \"A lost key\" in docs/vault.md"));
          }
          for (String id : wrong) {
            LOG.warn("vault key {} is not the key this vault first used under that id: its tokens cannot be read",
                id);
          }
          return Future.succeededFuture(
              new TokenVault(pool, ring, new VaultCipher(), Collections.unmodifiableSet(wrong)));
        });
  }

  public KeyRing keyRing() {
    return ring;
  }

  /** Stores the token of {@code (userId, kind)}, replacing the one before (whose row and ciphertext are gone). */
  public Future<Void> store(String userId, String kind, String token) {
    return write(userId, kind, token, true).mapEmpty();
  }

  public Future<Void> store(String userId, String kind, VaultToken token) {
    return write(userId, kind, token, true).mapEmpty();
  }

  /**
   * Stores the token only when the user holds none of that kind; whether it did. Of two writers racing to create the
   * same thing, the first one's token stays, and the other reads it back ({@link #retrieve}).
   */
  public Future<Boolean> storeIfAbsent(String userId, String kind, String token) {
    return write(userId, kind, token, false);
  }

  private Future<Boolean> write(String userId, String kind, String token, boolean replace) {
    VaultToken bytes = VaultToken.of(token);
    try {
      return write(userId, kind, bytes, replace);
    } finally {
      // write() has sealed its own copy before it returns; this one is no longer needed.
      bytes.destroy();
    }
  }

  private Future<Boolean> write(String userId, String kind, VaultToken token, boolean replace) {
    byte[] plaintext = token.bytes();
    try {
      checkUser(userId);
      checkKind(kind);
      if (plaintext.length == 0 || plaintext.length > MAX_TOKEN_BYTES) {
        throw new IllegalArgumentException("a token is 1 to " + MAX_TOKEN_BYTES + " bytes");
      }
      // A new row id on every store: the AAD changes with it, so nothing sealed for an earlier row fits this one.
      UUID rowId = UUID.randomUUID();
      String keyId = ring.activeKeyId();
      VaultCipher.Sealed sealed = cipher.seal(ring.activeKey(), VaultCipher.aad(userId, kind, keyId, rowId),
          plaintext);
      return pool.preparedQuery("INSERT INTO vault_tokens (id, user_id, kind, key_id, nonce, ciphertext)"
              + " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, kind) DO " + (replace
              ? "UPDATE SET id = EXCLUDED.id, key_id = EXCLUDED.key_id, nonce = EXCLUDED.nonce,"
                  + " ciphertext = EXCLUDED.ciphertext, created_at = now(), rotated_at = NULL" : "NOTHING"))
          .execute(Tuple.of(rowId, userId, kind, keyId, Buffer.buffer(sealed.nonce()),
              Buffer.buffer(sealed.ciphertext())))
          .map(rows -> rows.rowCount() == 1);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /** The token of {@code (userId, kind)}; fails with a {@link VaultException} when it is missing or unreadable. */
  public Future<VaultToken> retrieve(String userId, String kind) {
    String sql = "SELECT id, key_id, nonce, ciphertext FROM vault_tokens WHERE user_id = $1 AND kind = $2";
    return byOwner(sql, userId, kind)
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(new VaultException(Reason.MISSING, "no " + kind + " token is stored for user "
                + userId));
          }
          Row row = rows.iterator().next();
          try {
            return Future.succeededFuture(VaultToken.wrap(open(StoredToken.of(row, userId, kind))));
          } catch (VaultException e) {
            return Future.failedFuture(e);
          }
        });
  }

  /** Deletes the token of {@code (userId, kind)}; true when there was one. Its ciphertext is gone with the row. */
  public Future<Boolean> delete(String userId, String kind) {
    return byOwner("DELETE FROM vault_tokens WHERE user_id = $1 AND kind = $2", userId, kind)
        .map(rows -> rows.rowCount() > 0);
  }

  /** Runs {@code sql} with {@code $1} = {@code userId} and {@code $2} = {@code kind} once both are valid. */
  private Future<RowSet<Row>> byOwner(String sql, String userId, String kind) {
    try {
      checkUser(userId);
      checkKind(kind);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return pool.preparedQuery(sql).execute(Tuple.of(userId, kind));
  }

  /** One row of {@code vault_tokens} as read. */
  record StoredToken(UUID id, String userId, String kind, String keyId, byte[] nonce, byte[] ciphertext) {
    static StoredToken of(Row row, String userId, String kind) {
      return new StoredToken(row.getUUID("id"), userId, kind, row.getString("key_id"),
          row.getBuffer("nonce").getBytes(), row.getBuffer("ciphertext").getBytes());
    }

    static StoredToken of(Row row) {
      return of(row, row.getString("user_id"), row.getString("kind"));
    }

    @Override
    public String toString() {
      return "StoredToken[id=" + id + ", user=" + userId + ", kind=" + kind + ", key=" + keyId + "]";
    }
  }

  /** Decrypts one row; the caller owns (and should wipe) the plaintext. */
  byte[] open(StoredToken row) {
    SecretKey key = ring.key(row.keyId()).orElseThrow(() -> new VaultException(Reason.UNKNOWN_KEY, "the " + row.kind()
        + " token of user " + row.userId() + " (row " + row.id() + ") is under key " + row.keyId()
        + ", which is not in vault.keys " + ring.keyIds()));
    if (wrongKeys.contains(row.keyId())) {
      throw new VaultException(Reason.WRONG_KEY, "the " + row.kind() + " token of user " + row.userId() + " (row "
          + row.id() + ") is under key " + row.keyId() + ", and vault.keys holds other bytes under that id");
    }
    if (row.nonce().length != VaultCipher.NONCE_BYTES || row.ciphertext().length < VaultCipher.TAG_BYTES) {
      throw tampered(row, null);
    }
    try {
      return VaultCipher.open(key, row.nonce(), VaultCipher.aad(row.userId(), row.kind(), row.keyId(), row.id()),
          row.ciphertext());
    } catch (AEADBadTagException e) {
      throw tampered(row, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available: " + e.getClass().getSimpleName(), e);
    }
  }

  /** Seals a plaintext for an existing row under the active key: what a rotation writes back. */
  VaultCipher.Sealed reseal(StoredToken row, byte[] plaintext) {
    return cipher.seal(ring.activeKey(),
        VaultCipher.aad(row.userId(), row.kind(), ring.activeKeyId(), row.id()), plaintext);
  }

  Pool pool() {
    return pool;
  }

  private static VaultException tampered(StoredToken row, Throwable cause) {
    return new VaultException(Reason.TAMPERED, "the " + row.kind() + " token of user " + row.userId() + " (row "
        + row.id() + ", key " + row.keyId() + ") does not authenticate: its ciphertext, nonce, tag, key id or row"
        + " was altered or moved", cause);
  }

  private static void checkUser(String userId) {
    if (userId == null || userId.isEmpty() || userId.length() > MAX_USER_ID
        || userId.codePoints().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("a user id is 1 to " + MAX_USER_ID + " characters with no control character");
    }
    // The AAD encodes it as UTF-8; a lone surrogate would encode as '?' and two ids could share an AAD.
    if (!StandardCharsets.UTF_8.newEncoder().canEncode(userId)) {
      throw new IllegalArgumentException("a user id must be valid Unicode text");
    }
  }

  private static void checkKind(String kind) {
    if (kind == null || !KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException("a token kind is 1 to 64 of a-z, 0-9, '.', '_', ':' and '-', e.g. plaid");
    }
  }
}
