package dev.ledgerline.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Idempotency keys in PostgreSQL (the IETF idempotency-key draft's semantics). The first request with a key claims
 * it; a retry with the same body gets the stored answer; a different body is a mismatch; a retry while the first is
 * still running waits for it (on any node, by polling the shared row) up to a bound. Only final answers are stored:
 * overload and outcome-unknown answers release the key, so a retry runs again — safely, because the ledger's own
 * transfer ids make the second write an {@code exists}.
 */
public final class IdempotencyStore {
  /** How long a claimed key may stay in flight before another node may take it over (its first node died). */
  private static final Duration LEASE = Duration.ofSeconds(60);
  private static final long POLL_MS = 20;

  private final Vertx vertx;
  private final SqlClient sql;
  private final Duration retention;
  private final Duration wait;

  /** The outcome of {@link #begin}. */
  public sealed interface Claim permits Claim.Proceed, Claim.Replay, Claim.Mismatch, Claim.InProgress {
    /** This request owns the key: run it, then {@link #complete} or {@link #release}. */
    record Proceed() implements Claim {}

    /** A final answer is stored: send it again with {@code Idempotent-Replayed: true}. */
    record Replay(int status, String contentType, Buffer body) implements Claim {}

    /** The key was used with another body or route (422). */
    record Mismatch() implements Claim {}

    /** Another request with this key is still running after the wait bound (409). */
    record InProgress() implements Claim {}
  }

  public IdempotencyStore(Vertx vertx, SqlClient sql, Duration retention, Duration wait) {
    this.vertx = vertx;
    this.sql = sql;
    this.retention = retention;
    this.wait = wait;
  }

  /** A fingerprint of what the key promises: the route and the exact body bytes. */
  public static byte[] fingerprint(String route, Buffer body) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(route.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(body.getBytes());
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Future<Claim> begin(String subject, String key, String route, byte[] hash) {
    long deadline = System.nanoTime() + wait.toNanos();
    return claim(subject, key, route, hash).compose(c -> c != null ? Future.succeededFuture(c)
        : awaitOther(subject, key, route, hash, deadline));
  }

  /** Claims the key or reads its row; null means another request holds it in flight. */
  private Future<Claim> claim(String subject, String key, String route, byte[] hash) {
    return sql.preparedQuery(
        "INSERT INTO idempotency_keys (subject, key, route, request_hash, state, lease_until, expires_at) "
            + "VALUES ($1, $2, $3, $4, 'in_flight', now() + make_interval(secs => $5), "
            + "now() + make_interval(secs => $6)) "
            + "ON CONFLICT (subject, key) DO UPDATE SET route = EXCLUDED.route, "
            + "lease_until = EXCLUDED.lease_until, expires_at = EXCLUDED.expires_at "
            // Take over only a key whose holder's lease ran out, and only for the same request.
            + "WHERE idempotency_keys.state = 'in_flight' AND idempotency_keys.lease_until < now() "
            + "AND idempotency_keys.request_hash = EXCLUDED.request_hash AND idempotency_keys.route = EXCLUDED.route "
            + "RETURNING 1")
        .execute(Tuple.of(subject, key, route, Buffer.buffer(hash), (double) LEASE.toSeconds(),
            (double) retention.toSeconds()))
        .compose(rows -> rows.rowCount() > 0 ? Future.succeededFuture(new Claim.Proceed())
            : read(subject, key, route, hash));
  }

  private Future<Claim> read(String subject, String key, String route, byte[] hash) {
    return sql.preparedQuery("SELECT route, request_hash, state, status, content_type, body "
            + "FROM idempotency_keys WHERE subject = $1 AND key = $2")
        .execute(Tuple.of(subject, key))
        .compose(rows -> {
          if (rows.size() == 0) {
            // Released between our insert and read: try to claim again.
            return claim(subject, key, route, hash);
          }
          Row row = rows.iterator().next();
          if (!row.getString("route").equals(route)
              || !Arrays.equals(row.getBuffer("request_hash").getBytes(), hash)) {
            return Future.succeededFuture(new Claim.Mismatch());
          }
          if ("done".equals(row.getString("state"))) {
            return Future.succeededFuture(new Claim.Replay(row.getInteger("status"), row.getString("content_type"),
                row.getBuffer("body")));
          }
          return Future.succeededFuture(null);
        });
  }

  private Future<Claim> awaitOther(String subject, String key, String route, byte[] hash, long deadline) {
    if (System.nanoTime() >= deadline) {
      return Future.succeededFuture(new Claim.InProgress());
    }
    Promise<Claim> next = Promise.promise();
    vertx.setTimer(POLL_MS, t -> claim(subject, key, route, hash)
        .compose(c -> c != null ? Future.succeededFuture(c) : awaitOther(subject, key, route, hash, deadline))
        .onComplete(next));
    return next.future();
  }

  /** Stores the final answer of the request that holds the key. */
  public Future<Void> complete(String subject, String key, int status, String contentType, Buffer body) {
    return sql.preparedQuery("UPDATE idempotency_keys SET state = 'done', status = $3, content_type = $4, body = $5 "
            + "WHERE subject = $1 AND key = $2 AND state = 'in_flight'")
        .execute(Tuple.of(subject, key, status, contentType, body)).mapEmpty();
  }

  /** Forgets a key whose request ended without a final answer, so that a retry runs again. */
  public Future<Void> release(String subject, String key) {
    return sql.preparedQuery("DELETE FROM idempotency_keys WHERE subject = $1 AND key = $2 AND state = 'in_flight'")
        .execute(Tuple.of(subject, key)).mapEmpty();
  }

  /** Deletes expired keys, a bounded number at a time; returns how many went. */
  public Future<Integer> purgeExpired(int limit) {
    return sql.preparedQuery("DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys "
            + "WHERE expires_at < now() LIMIT $1)")
        .execute(Tuple.of(limit)).map(rows -> rows.rowCount());
  }
}
