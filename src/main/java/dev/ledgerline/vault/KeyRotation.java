package dev.ledgerline.vault;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-encrypts every row that is not under the key ring's active key, online. Rows are taken in batches of
 * {@code batchSize} in row-id order, each batch in one transaction that locks its rows ({@code FOR UPDATE SKIP
 * LOCKED}, so a concurrent rotation takes other rows) and writes each back only if it still has the key it was read
 * with. Readers are never blocked: until a batch commits they read the old row, which the old key still opens. A
 * rotation that is killed loses at most its open batch (rolled back); running it again finishes the rest, because
 * what is left is exactly the rows not under the active key.
 */
public final class KeyRotation {
  private static final Logger LOG = LoggerFactory.getLogger(KeyRotation.class);
  /** Failures listed one by one in the summary; the count is always complete. */
  static final int MAX_LISTED_FAILURES = 100;
  private static final UUID FIRST = new UUID(0, 0);

  private final TokenVault vault;
  private final int batchSize;

  public KeyRotation(TokenVault vault, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1");
    }
    this.vault = vault;
    this.batchSize = batchSize;
  }

  /** A row the rotation could not re-encrypt, and why; it stays as it was. */
  public record Failure(UUID rowId, String userId, String kind, String keyId, VaultException.Reason reason) {
    JsonObject toJson() {
      return new JsonObject().put("row", rowId.toString()).put("user_id", userId).put("kind", kind)
          .put("key_id", keyId).put("reason", reason.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /**
   * What one run did.
   *
   * @param before rows per key id when the run started
   * @param remaining rows per key id not under the active key when it ended: empty once the rotation is complete
   */
  public record Summary(String activeKey, long rotated, int batches, long failed, List<Failure> failures,
      Map<String, Long> before, Map<String, Long> remaining) {
    public boolean complete() {
      return failed == 0 && remaining.isEmpty();
    }

    public JsonObject toJson() {
      JsonObject b = new JsonObject();
      before.forEach(b::put);
      JsonObject r = new JsonObject();
      remaining.forEach(r::put);
      return new JsonObject().put("active_key", activeKey).put("complete", complete()).put("rotated", rotated)
          .put("batches", batches).put("failed", failed)
          .put("failures", new JsonArray(failures.stream().map(Failure::toJson).toList()))
          .put("rows_by_key_before", b).put("remaining_by_key", r);
    }
  }

  public Future<Summary> run() {
    return run(Integer.MAX_VALUE);
  }

  /** Stops after {@code maxBatches} batches, as a rotation killed there would (tests of resuming use it). */
  Future<Summary> run(int maxBatches) {
    String active = vault.keyRing().activeKeyId();
    Progress progress = new Progress();
    return countByKey(false).compose(before -> {
      progress.before = before;
      return loop(active, FIRST, maxBatches, progress);
    }).compose(v -> countByKey(true)).map(remaining -> {
      Summary s = new Summary(active, progress.rotated, progress.batches, progress.failed,
          Collections.unmodifiableList(progress.failures), progress.before, remaining);
      LOG.info("vault rotation to key {}: {} row(s) re-encrypted in {} batch(es), {} failed, {} left", active,
          s.rotated(), s.batches(), s.failed(), remaining.values().stream().mapToLong(Long::longValue).sum());
      return s;
    });
  }

  private static final class Progress {
    Map<String, Long> before;
    long rotated;
    int batches;
    long failed;
    final List<Failure> failures = new ArrayList<>();
  }

  private Future<Void> loop(String active, UUID after, int batchesLeft, Progress progress) {
    if (batchesLeft == 0) {
      return Future.succeededFuture();
    }
    return vault.pool().withTransaction(conn -> batch(conn, active, after))
        .compose(batch -> {
          if (batch == null) {
            return Future.succeededFuture();
          }
          // Counted only once the batch has committed; a rolled-back batch changed nothing.
          progress.rotated += batch.rotated();
          progress.batches++;
          progress.failed += batch.failed().size();
          for (Failure f : batch.failed()) {
            if (progress.failures.size() < MAX_LISTED_FAILURES) {
              progress.failures.add(f);
            }
          }
          return loop(active, batch.last(), batchesLeft - 1, progress);
        });
  }

  private record Batch(UUID last, long rotated, List<Failure> failed) {}

  /** One batch; null when no row is left after {@code after}. */
  private Future<Batch> batch(SqlConnection conn, String active, UUID after) {
    return conn.preparedQuery("SELECT id, user_id, kind, key_id, nonce, ciphertext FROM vault_tokens"
            + " WHERE key_id <> $1 AND id > $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED")
        .execute(Tuple.of(active, after, batchSize))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(null);
          }
          List<Tuple> updates = new ArrayList<>();
          UUID last = null;
          List<Failure> failed = new ArrayList<>();
          for (Row row : rows) {
            TokenVault.StoredToken stored = TokenVault.StoredToken.of(row);
            last = stored.id();
            byte[] plaintext = null;
            try {
              plaintext = vault.open(stored);
              VaultCipher.Sealed sealed = vault.reseal(stored, plaintext);
              updates.add(Tuple.of(stored.id(), active, Buffer.buffer(sealed.nonce()),
                  Buffer.buffer(sealed.ciphertext()), stored.keyId()));
            } catch (VaultException e) {
              failed.add(new Failure(stored.id(), stored.userId(), stored.kind(), stored.keyId(), e.reason()));
              LOG.warn("vault rotation skips a row: {}", e.getMessage());
            } finally {
              if (plaintext != null) {
                Arrays.fill(plaintext, (byte) 0);
              }
            }
          }
          UUID lastRead = last;
          Future<Long> written = updates.isEmpty() ? Future.succeededFuture(0L)
              : conn.preparedQuery("UPDATE vault_tokens SET key_id = $2, nonce = $3, ciphertext = $4,"
                      + " rotated_at = now() WHERE id = $1 AND key_id = $5")
                  .executeBatch(updates)
                  .map(result -> {
                    long n = 0;
                    for (var r = result; r != null; r = r.next()) {
                      n += r.rowCount();
                    }
                    return n;
                  });
          return written.map(n -> new Batch(lastRead, n, failed));
        });
  }

  /** Rows per key id; with {@code notActive}, only those not under the active key. */
  private Future<Map<String, Long>> countByKey(boolean notActive) {
    String sql = "SELECT key_id, count(*) AS n FROM vault_tokens"
        + (notActive ? " WHERE key_id <> $1" : "") + " GROUP BY key_id ORDER BY key_id";
    var query = vault.pool().preparedQuery(sql);
    return (notActive ? query.execute(Tuple.of(vault.keyRing().activeKeyId())) : query.execute())
        .map(rows -> {
          Map<String, Long> out = new LinkedHashMap<>();
          for (Row row : rows) {
            out.put(row.getString("key_id"), row.getLong("n"));
          }
          return Collections.unmodifiableMap(out);
        });
  }
}

