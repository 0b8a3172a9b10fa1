package dev.ledgerline.gateway.idempotency;

import dev.ledgerline.gateway.http.StorableText;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Idempotency keys in PostgreSQL (the IETF idempotency-key draft's semantics). The first request with a key claims
 * it; a retry with the same body gets the stored answer; a different body is a mismatch; a retry while the first is
 * still running waits for it (on any node, by polling the shared row) up to a bound. Only final answers are stored:
 * overload and outcome-unknown answers release the key, so a retry runs again — safely, because the ledger's own
 * transfer ids make the second write an {@code exists}.
 *
 * <p>A claim names its holder, this process's {@link ClaimHolder} incarnation. A claim still in flight is taken over
 * by a retry at once when its holder is no longer alive (the process died), and otherwise only after its lease.
 *
 * <p>Subjects and keys are checked ({@link StorableText}) before they join a batch, and a batch the server refuses is
 * run again row by row, so that one request's bad value never fails another request's claim.
 */
public final class IdempotencyStore {
  /**
   * How long a claimed key may stay in flight before a retry may take it over even though its holder still looks
   * alive (a process that hangs while its session lives, or a claim written without a holder).
   */
  private static final Duration LEASE = Duration.ofSeconds(60);
  private static final long POLL_MS = 20;

  private final Vertx vertx;
  private final SqlClient sql;
  private final SqlClient claimSql;
  private final Duration retention;
  private final Duration wait;
  private final ClaimHolder holder;

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

  /** Statements of one flush; two in flight let one batch fill while the other commits. */
  private static final int MAX_IN_FLIGHT = 2;
  private static final int MAX_BATCH = 2048;

  private final MicroBatcher<ClaimRow, Boolean> claims;
  private final MicroBatcher<DoneRow, Void> completions;

  private record ClaimRow(String subject, String key, String route, byte[] hash) {}

  /** Longest key accepted, as the API documents. */
  public static final int MAX_KEY = 255;

  private record DoneRow(String subject, String key, String route, byte[] hash, int status, String contentType,
      Buffer body) {}

  /**
   * A store whose claims and completions are batched on the calling context (a verticle's, in the gateway): the
   * claims of one event-loop tick become one multi-row INSERT, the completions one UPDATE.
   */
  public IdempotencyStore(Vertx vertx, SqlClient sql, Duration retention, Duration wait) {
    this(vertx, sql, sql, retention, wait, null);
  }

  /**
   * As above, with claims written through {@code claimSql}, which may commit asynchronously
   * ({@code synchronous_commit=off}): a claim only marks a request in flight. Losing it in a database crash loses
   * nothing that was answered, because the completion that stores an answer commits synchronously and so also makes
   * every earlier claim durable (WAL order); and a request whose claim was lost is still protected by its ledger id.
   */
  public IdempotencyStore(Vertx vertx, SqlClient sql, SqlClient claimSql, Duration retention, Duration wait,
      ClaimHolder holder) {
    this.vertx = vertx;
    this.holder = holder;
    this.sql = sql;
    this.claimSql = claimSql;
    this.retention = retention;
    this.wait = wait;
    var context = vertx.getOrCreateContext();
    this.claims = new MicroBatcher<>(context, MAX_IN_FLIGHT, MAX_BATCH, this::claimAll, IdempotencyStore::refused);
    this.completions = new MicroBatcher<>(context, MAX_IN_FLIGHT, MAX_BATCH, this::completeAll,
        IdempotencyStore::refused);
  }

  /** The server refused the statement (a value, a constraint): worth running row by row, unlike a lost connection. */
  private static boolean refused(Throwable e) {
    return e instanceof PgException;
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
    String bad = StorableText.problem(subject, StorableText.MAX_SUBJECT) != null ? "subject"
        : StorableText.problem(key, MAX_KEY) != null ? "key" : null;
    if (bad != null) {
      // Callers check first (401 for a subject, 400 for a key); this keeps such a value out of shared batches.
      return Future.failedFuture(new IllegalArgumentException("the idempotency " + bad + " cannot be stored"));
    }
    long deadline = System.nanoTime() + wait.toNanos();
    return claim(subject, key, route, hash).compose(c -> c != null ? Future.succeededFuture(c)
        : awaitOther(subject, key, route, hash, deadline));
  }

  /** Claims the key or reads its row; null means another request holds it in flight. */
  private Future<Claim> claim(String subject, String key, String route, byte[] hash) {
    return claims.add(new ClaimRow(subject, key, route, hash))
        .compose(won -> won ? Future.succeededFuture(new Claim.Proceed()) : read(subject, key, route, hash));
  }

  /** One INSERT for many claims; each answers whether it took the key. */
  private Future<List<Boolean>> claimAll(List<ClaimRow> rows) {
    return holder == null ? claimAll(rows, null) : holder.id().compose(id -> claimAll(rows, id));
  }

  private Future<List<Boolean>> claimAll(List<ClaimRow> rows, Long holderId) {
    // A key twice in one statement would make ON CONFLICT fail; the later copy loses and reads the row instead.
    Map<List<String>, Integer> first = firstOfEachKey(rows, r -> List.of(r.subject(), r.key()));
    List<ClaimRow> distinct = first.values().stream().map(rows::get).toList();
    String[] subjects = new String[distinct.size()];
    String[] keys = new String[distinct.size()];
    String[] routes = new String[distinct.size()];
    Buffer[] hashes = new Buffer[distinct.size()];
    for (int i = 0; i < distinct.size(); i++) {
      ClaimRow r = distinct.get(i);
      subjects[i] = r.subject();
      keys[i] = r.key();
      routes[i] = r.route();
      hashes[i] = Buffer.buffer(r.hash());
    }
    return claimSql.preparedQuery(
        "INSERT INTO idempotency_keys (subject, key, route, request_hash, state, lease_until, expires_at, holder) "
            + "SELECT s, k, r, h, 'in_flight', now() + make_interval(secs => $5), now() + make_interval(secs => $6), "
            + "$7::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) AS t(s, k, r, h) "
            + "ON CONFLICT (subject, key) DO UPDATE SET route = EXCLUDED.route, "
            + "lease_until = EXCLUDED.lease_until, expires_at = EXCLUDED.expires_at, holder = EXCLUDED.holder "
            // Take over only a key whose holder died or whose lease ran out, and only for the same request.
            + "WHERE idempotency_keys.state = 'in_flight' AND (idempotency_keys.lease_until < now() "
            + "OR (idempotency_keys.holder IS NOT NULL AND NOT idempotency_holder_alive(idempotency_keys.holder))) "
            + "AND idempotency_keys.request_hash = EXCLUDED.request_hash AND idempotency_keys.route = EXCLUDED.route "
            + "RETURNING subject, key")
        .execute(Tuple.of(subjects, keys, routes, hashes, (double) LEASE.toSeconds(), (double) retention.toSeconds(),
            holderId))
        .map(result -> {
          Set<List<String>> won = new HashSet<>();
          for (Row row : result) {
            won.add(List.of(row.getString(0), row.getString(1)));
          }
          List<Boolean> out = new ArrayList<>(rows.size());
          for (int i = 0; i < rows.size(); i++) {
            List<String> id = List.of(rows.get(i).subject(), rows.get(i).key());
            out.add(first.get(id) == i && won.contains(id));
          }
          return out;
        });
  }

  /** The index of the first row of each (subject, key), in row order. */
  private static <T> Map<List<String>, Integer> firstOfEachKey(List<T> rows,
      Function<T, List<String>> key) {
    Map<List<String>, Integer> first = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      first.putIfAbsent(key.apply(rows.get(i)), i);
    }
    return first;
  }

  /**
   * One statement for many answers. An upsert on the primary key rather than an UPDATE joined to the batch: its plan
   * does not depend on how many rows the arrays hold, so the prepared statement can keep one plan. Only a key still
   * in flight for the same route and body takes the answer; a claim lost in a database crash (claims commit
   * asynchronously) is written here whole.
   */
  private Future<List<Void>> completeAll(List<DoneRow> rows) {
    // A key twice in one upsert would fail the statement; only one request can hold a key, so a repeat is dropped.
    List<DoneRow> distinct = firstOfEachKey(rows, r -> List.of(r.subject(), r.key())).values().stream()
        .map(rows::get).toList();
    int n = distinct.size();
    String[] subjects = new String[n];
    String[] keys = new String[n];
    String[] routes = new String[n];
    Buffer[] hashes = new Buffer[n];
    Integer[] statuses = new Integer[n];
    String[] types = new String[n];
    Buffer[] bodies = new Buffer[n];
    for (int i = 0; i < n; i++) {
      DoneRow r = distinct.get(i);
      subjects[i] = r.subject();
      keys[i] = r.key();
      routes[i] = r.route();
      hashes[i] = Buffer.buffer(r.hash());
      statuses[i] = r.status();
      types[i] = r.contentType();
      bodies[i] = r.body();
    }
    return sql.preparedQuery("INSERT INTO idempotency_keys AS i (subject, key, route, request_hash, state, status, "
            + "content_type, body, lease_until, expires_at) "
            + "SELECT s, k, r, h, 'done', st, ct, b, now(), now() + make_interval(secs => $8) "
            + "FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::int[], $6::text[], $7::bytea[]) "
            + "AS v(s, k, r, h, st, ct, b) "
            + "ON CONFLICT (subject, key) DO UPDATE SET state = 'done', status = EXCLUDED.status, "
            + "content_type = EXCLUDED.content_type, body = EXCLUDED.body "
            + "WHERE i.state = 'in_flight' AND i.route = EXCLUDED.route AND i.request_hash = EXCLUDED.request_hash "
            // Only this process's own claim: one taken over by another node is that node's to complete.
            + "AND (i.holder IS NULL OR i.holder = ANY($9::bigint[]))")
        .execute(Tuple.of(subjects, keys, routes, hashes, statuses, types, bodies, (double) retention.toSeconds())
            .addArrayOfLong(mine()))
        .map(r -> java.util.Collections.nCopies(rows.size(), (Void) null));
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

  /** Stores the final answer of the request that holds the key (claimed with this route and fingerprint). */
  public Future<Void> complete(String subject, String key, String route, byte[] hash, int status, String contentType,
      Buffer body) {
    return completions.add(new DoneRow(subject, key, route, hash, status, contentType, body));
  }

  /** Forgets a key whose request ended without a final answer, so that a retry runs again. */
  public Future<Void> release(String subject, String key) {
    // Only this process's own claim: one taken over by another node (this one's lock looked lost) is not deleted.
    return sql.preparedQuery("DELETE FROM idempotency_keys WHERE subject = $1 AND key = $2 AND state = 'in_flight' "
            + "AND (holder IS NULL OR holder = ANY($3::bigint[]))")
        .execute(Tuple.of(subject, key).addArrayOfLong(mine())).mapEmpty();
  }

  /** The holder ids of this process's claims (none for a store without a holder, whose claims carry none). */
  private Long[] mine() {
    return holder == null ? new Long[0] : holder.incarnations();
  }

  /** Deletes expired keys, a bounded number at a time; returns how many went. */
  public Future<Integer> purgeExpired(int limit) {
    return sql.preparedQuery("DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys "
            + "WHERE expires_at < now() LIMIT $1)")
        .execute(Tuple.of(limit)).map(rows -> rows.rowCount());
  }
}
