package dev.ledgerline.gateway.idempotency;

import dev.ledgerline.gateway.http.Reply;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Idempotency keys of ledger writes, off PostgreSQL: one Redis entry per (subject, key) holding the route, the body's
 * fingerprint and the claim's holder, written with {@code SET NX PX} (pipelined on the shared Redis connection, no
 * commit to wait for). The final answer is not stored when it is the ledger's own ("every transfer ok"), since it is
 * a function of the ids; other final answers (a refusal such as {@code exceeds_credits}) are stored with the key.
 * Losing an entry can never move money twice: the ids are the ledger's idempotency (docs/gateway-api.md).
 *
 * <p>Node-scoped: the requests in flight on this node are in one map shared by its gateway instances, so a duplicate
 * here waits for the first without polling Redis.
 */
public final class LedgerKeys {
  /** How long a claim stays in flight before a retry takes it over even though its holder looks alive. */
  static final Duration LEASE = Duration.ofSeconds(60);
  private static final String PREFIX = "idem:ledger:";
  /** Marks a claim released only while it is still this request's (a retry may have taken it over). */
  private static final String RELEASE = "local v = redis.call('GET', KEYS[1]) if v and cjson.decode(v)['t'] == "
      + "ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0";
  /** Deletes a claim only while it is still this request's. */
  private static final String FORGET = "local v = redis.call('GET', KEYS[1]) if v and cjson.decode(v)['t'] == "
      + "ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end return 0";
  /** Replaces an entry by this request's claim only if it is still the one seen (released, or a dead holder's). */
  private static final String TAKE_OVER = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
      + "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0";

  private final Redis redis;
  private final SqlClient sql;
  private final ClaimHolder holder;
  private final Duration retention;
  private final Duration wait;
  private final Duration timeout;
  private final ConcurrentHashMap<String, InFlight> inFlight = new ConcurrentHashMap<>();

  /**
   * @param sql asked only when a claim of another process is met still in flight (is its holder alive?)
   * @param timeout a Redis call slower than this fails (the request then gets 503, nothing having run)
   */
  public LedgerKeys(Redis redis, SqlClient sql, ClaimHolder holder, Duration retention, Duration wait,
      Duration timeout) {
    this.redis = redis;
    this.sql = sql;
    this.holder = holder;
    this.retention = retention;
    this.wait = wait;
    this.timeout = timeout;
  }

  /** A request of this node that holds a key: duplicates here wait on {@code outcome}. */
  record InFlight(String route, String hash, Promise<Outcome> outcome) {}

  /**
   * What the holder answered: {@code ran} when its own execution produced it (a waiter then replays it, or runs again
   * if it was not kept), otherwise the answer it sent as it is (a replay or a refusal).
   */
  record Outcome(Reply reply, boolean replayed, boolean ran) {}

  /**
   * A key's entry. {@code token} tells this claim from a later one of the same key; {@code at} is when it was claimed
   * (epoch ms, for the lease); {@code done} means every transfer was ok (the answer is rendered from the ids);
   * {@code answer} is any other final answer; {@code released} means the last answer was not final, so the key is
   * free again, and a retry that finds the ledger already holding its ids knows the entry was not lost.
   */
  record Entry(String route, String hash, long holder, String token, long at, boolean done, Reply answer,
      boolean released, String raw) {
    static Entry claim(String route, String hash, long holder) {
      return new Entry(route, hash, holder, UUID.randomUUID().toString(), System.currentTimeMillis(), false, null,
          false, null);
    }

    boolean leaseOver() {
      return System.currentTimeMillis() - at > LEASE.toMillis();
    }

    boolean sameRequest(String route, String hash) {
      return this.route.equals(route) && this.hash.equals(hash);
    }

    Entry asDone() {
      return new Entry(route, hash, holder, token, at, true, null, false, null);
    }

    Entry answered(Reply r) {
      return new Entry(route, hash, holder, token, at, false, r, false, null);
    }

    Entry asReleased() {
      return new Entry(route, hash, holder, token, at, false, null, true, null);
    }

    String encode() {
      JsonObject j = new JsonObject().put("r", route).put("h", hash).put("o", holder).put("t", token).put("a", at);
      if (done) {
        j.put("d", 1);
      }
      if (released) {
        j.put("x", 1);
      }
      if (answer != null) {
        j.put("s", answer.status()).put("c", answer.contentType())
            .put("b", Base64.getEncoder().encodeToString(answer.body().getBytes()));
      }
      return j.encode();
    }

    static Entry decode(String raw) {
      JsonObject j = new JsonObject(raw);
      Reply answer = j.containsKey("s") ? new Reply(j.getInteger("s"), j.getString("c"),
          Buffer.buffer(Base64.getDecoder().decode(j.getString("b"))), true, 0) : null;
      return new Entry(j.getString("r"), j.getString("h"), j.getLong("o", 0L), j.getString("t"), j.getLong("a", 0L),
          j.containsKey("d"), answer, j.containsKey("x"), raw);
    }
  }

  Duration retention() {
    return retention;
  }

  Duration waitBound() {
    return wait;
  }

  ConcurrentHashMap<String, InFlight> inFlight() {
    return inFlight;
  }

  /** The entry's name: a digest, so that no subject or key text reaches Redis (and any length fits). */
  public static String redisKey(String subject, String key) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {subject, key}) {
        byte[] b = part.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
      }
      return PREFIX + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The id to record as the claim's holder: this process's incarnation, or 0 (a claim that only its lease ends) while
   * none is held, so that a request never waits for PostgreSQL here.
   */
  long holderId() {
    Future<Long> id = holder.id();
    return id.succeeded() ? id.result() : 0L;
  }

  /**
   * Claims the key; the entry already there (null when this call claimed it). The entry lives for the retention from
   * here, so that an entry missing later was lost (or expired), never a lease run out.
   */
  Future<Entry> claim(String rkey, Entry mine) {
    return call(Request.cmd(Command.SET).arg(rkey).arg(mine.encode()).arg("NX").arg("PX").arg(retention.toMillis()))
        .compose(set -> set != null ? Future.succeededFuture((Entry) null)
            : call(Request.cmd(Command.GET).arg(rkey)).compose(got -> got == null
                // Released or expired in between: claim again.
                ? claim(rkey, mine) : Future.succeededFuture(Entry.decode(got.toString()))));
  }

  /** Keeps the final state for the retention (a done marker or the answer). */
  Future<Void> complete(String rkey, Entry e) {
    return call(Request.cmd(Command.SET).arg(rkey).arg(e.encode()).arg("PX").arg(retention.toMillis())).mapEmpty();
  }

  /** Frees the key (its answer was not final), unless another request has taken it over. */
  Future<Void> release(String rkey, Entry mine) {
    return call(Request.cmd(Command.EVAL).arg(RELEASE).arg(1).arg(rkey).arg(mine.token())
        .arg(mine.asReleased().encode()).arg(retention.toMillis())).mapEmpty();
  }

  /** Leaves the key as it was before this claim: no entry (a claim on a lost entry that the ledger refused). */
  Future<Void> forget(String rkey, Entry mine) {
    return call(Request.cmd(Command.EVAL).arg(FORGET).arg(1).arg(rkey).arg(mine.token())).mapEmpty();
  }

  /** Replaces {@code seen} (released, or a dead holder's claim) by {@code mine}; false if it changed meanwhile. */
  Future<Boolean> takeOver(String rkey, Entry seen, Entry mine) {
    return call(Request.cmd(Command.EVAL).arg(TAKE_OVER).arg(1).arg(rkey).arg(seen.raw()).arg(mine.encode())
        .arg(retention.toMillis())).map(r -> r != null && r.toInteger() == 1);
  }

  /** Whether the process that holds a claim still lives (its PostgreSQL advisory lock is held). */
  Future<Boolean> holderAlive(long id) {
    if (id == 0) {
      return Future.succeededFuture(true);
    }
    return sql.preparedQuery("SELECT idempotency_holder_alive($1)").execute(Tuple.of(id))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  private Future<Response> call(Request r) {
    return redis.send(r).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
