package dev.ledgerline.gateway.revocation;

import dev.ledgerline.config.LedgerlineConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revoked access tokens, by {@code jti}: recorded in PostgreSQL ({@link RevocationRecords}, the durable record) and
 * mirrored in Redis, the fast path every node reads.
 *
 * <p><b>Revoking</b> writes PostgreSQL first, then Redis ({@code SET key <until-ms> PXAT <until-ms>}, until the
 * token's exp plus {@link Options#retainAfterExpiry()}, which must cover the validator's leeway: after that the token
 * is refused for being expired). It succeeds only when both hold it: a node that reads a Redis missing the entry would
 * otherwise accept the token. When PostgreSQL has it and Redis does not, the call fails (the gateway answers 503),
 * the revoking node refuses the token at once, and its next sync refills Redis from PostgreSQL. Keys are
 * {@code <prefix><base64url(sha256(jti))>}, so a caller-chosen {@code jti} can neither inject into the key space nor
 * make keys long.
 *
 * <p><b>Refill.</b> Redis may lose entries: a restart without persistence, {@code FLUSHALL}, or the last second of
 * its append-only file after a crash. A marker key records the {@code run_id} of the Redis process that was last
 * filled from PostgreSQL; {@link #sync()} (every {@link Options#syncInterval()} on every node) compares it with the
 * server's {@code run_id} from {@code INFO server} and, when the marker is missing or names another process, copies
 * every live revocation from PostgreSQL into Redis, then sets the marker, in a script that does so only if the marker
 * is still this refill's own (a {@code FLUSHALL} meanwhile leaves it absent, so the next sync starts over). While a
 * refill runs, the marker names it, with a lease, and other nodes leave Redis to it.
 *
 * <p><b>Reading.</b> One {@code MGET marker key}, atomic, answers both "is Redis complete?" and "is the token
 * revoked?". Redis is trusted only while the marker names the {@code run_id} this node's last sync saw; otherwise (a
 * flushed or restarted Redis not yet refilled, or Redis unreachable) the answer comes from PostgreSQL. Only when
 * neither can answer does {@link #isRevoked} fail with {@link RevocationUnavailableException}.
 *
 * <p><b>Within one second on every node.</b> Answers are cached per node: "revoked" until the entry's own expiry
 * (revocation is permanent), "not revoked" for {@link Options#notRevokedTtl()}, which must be below 1 s and is
 * counted from the moment the question was sent. A revocation is therefore seen by every node within that TTL, and
 * immediately by the node that made it. This was chosen over pub/sub invalidation because it needs no dedicated
 * subscriber connection per node, and a missed message (reconnect) could otherwise leave a revoked token accepted
 * indefinitely; the cost is at most one read per token per TTL per node.
 */
public final class RevocationStore {
  private static final Logger LOG = LoggerFactory.getLogger(RevocationStore.class);
  private static final String FILLING = "filling:";
  /**
   * How long a refill may hold the marker: other nodes leave Redis to it meanwhile (several nodes refilling at once
   * would keep invalidating each other's marker), and a refiller that dies frees it when this runs out.
   */
  private static final Duration REFILL_LEASE = Duration.ofSeconds(60);
  /** Rows sent to Redis per pipelined batch during a refill. */
  private static final int REFILL_BATCH = 500;
  /**
   * Sets the marker to ARGV[2] only if it still holds this refill's ARGV[1]: a FLUSHALL or another node's refill in
   * between leaves the marker alone, and the next sync decides again.
   */
  private static final String COMPLETE_REFILL = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
      + "redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0"; // a plain SET also drops the lease

  /** {@code auth.revocation.reads-when-unavailable}: what a read does when revocation cannot be checked. */
  public enum ReadsWhenUnavailable {
    ALLOW, DENY;

    public static ReadsWhenUnavailable from(LedgerlineConfig config) {
      return valueOf(config.auth().revocation().readsWhenUnavailable().toUpperCase(Locale.ROOT));
    }
  }

  /**
   * @param commandTimeout a Redis call slower than this counts as unavailable; PostgreSQL gets at least
   *     {@link #MIN_RECORD_TIMEOUT}, since it is asked when Redis is not and a busy pool queues
   * @param notRevokedTtl how long a "not revoked" answer is reused; below 1 s (zero disables the cache)
   * @param retainAfterExpiry how long an entry outlives the token's {@code exp}; at least the validator's leeway
   * @param maxCachedAnswers bound on cached answers per node
   * @param keyPrefix prefix of every revocation key
   * @param syncInterval how often a node checks that Redis still holds every revocation (and refills it)
   * @param purgeInterval how often a node deletes expired revocations from PostgreSQL
   */
  public record Options(Duration commandTimeout, Duration notRevokedTtl, Duration retainAfterExpiry,
      int maxCachedAnswers, String keyPrefix, Duration syncInterval, Duration purgeInterval) {
    public static final Duration MIN_RECORD_TIMEOUT = Duration.ofSeconds(1);
    public static final Options DEFAULTS = new Options(Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(60), 100_000, "ll:revoked:", Duration.ofSeconds(1), Duration.ofMinutes(10));

    /**
     * The defaults with {@code redis.command-timeout}, and entries kept for {@code auth.jwt.leeway} after exp: as long
     * as the validator accepts.
     */
    public static Options from(LedgerlineConfig config) {
      return DEFAULTS.withCommandTimeout(config.redisSettings().commandTimeout())
          .withRetainAfterExpiry(config.auth().jwt().leeway());
    }

    public Options {
      Objects.requireNonNull(keyPrefix);
      if (commandTimeout.isNegative() || commandTimeout.isZero()) {
        throw new IllegalArgumentException("commandTimeout must be positive");
      }
      if (notRevokedTtl.isNegative() || notRevokedTtl.compareTo(Duration.ofSeconds(1)) >= 0) {
        throw new IllegalArgumentException("notRevokedTtl must be under 1 s so that revocations apply within 1 s");
      }
      if (retainAfterExpiry.isNegative() || maxCachedAnswers < 1) {
        throw new IllegalArgumentException("retainAfterExpiry must not be negative and the cache needs a size");
      }
      if (syncInterval.isNegative() || syncInterval.isZero() || purgeInterval.isNegative() || purgeInterval.isZero()) {
        throw new IllegalArgumentException("syncInterval and purgeInterval must be positive");
      }
    }

    public Options withCommandTimeout(Duration d) {
      return new Options(d, notRevokedTtl, retainAfterExpiry, maxCachedAnswers, keyPrefix, syncInterval,
          purgeInterval);
    }

    public Options withNotRevokedTtl(Duration d) {
      return new Options(commandTimeout, d, retainAfterExpiry, maxCachedAnswers, keyPrefix, syncInterval,
          purgeInterval);
    }

    public Options withRetainAfterExpiry(Duration d) {
      return new Options(commandTimeout, notRevokedTtl, d, maxCachedAnswers, keyPrefix, syncInterval, purgeInterval);
    }

    public Options withSyncInterval(Duration d) {
      return new Options(commandTimeout, notRevokedTtl, retainAfterExpiry, maxCachedAnswers, keyPrefix, d,
          purgeInterval);
    }
  }

  private final Redis redis;
  private final RevocationRecords records;
  private final Options options;
  private final Clock clock;
  private final String markerKey;
  /** jti → System.nanoTime() until which "not revoked" may be reused. */
  private final ConcurrentHashMap<String, Long> notRevoked = new ConcurrentHashMap<>();
  /** jti → epoch millis until which the token counts as revoked. */
  private final ConcurrentHashMap<String, Long> revoked = new ConcurrentHashMap<>();
  /** run_id of the Redis process this node's last sync saw; null before the first. */
  private volatile String runId;
  /** True while the last sync found Redis filled for {@link #runId}; reads then trust Redis. */
  private volatile boolean redisComplete;
  /** A revocation reached PostgreSQL but not Redis: refill at the next sync that reaches Redis. */
  private volatile boolean refillOwed;
  private volatile long lastPurgeNanos = System.nanoTime();
  private Future<Void> syncing;
  private long timer = -1;
  private Vertx timerVertx;

  /**
   * @param redis the node's pooled Redis client (not closed by this class)
   * @param records the durable record in PostgreSQL
   * @param clock wall clock for token expiry (tests may pass a fixed one)
   */
  public RevocationStore(Redis redis, RevocationRecords records, Options options, Clock clock) {
    this.redis = Objects.requireNonNull(redis);
    this.records = Objects.requireNonNull(records);
    this.options = Objects.requireNonNull(options);
    this.clock = Objects.requireNonNull(clock);
    this.markerKey = options.keyPrefix() + "@filled"; // '@' is outside base64url: no jti key can collide
  }

  /** Runs a first {@link #sync()}, then one every {@link Options#syncInterval()}. Never fails. */
  public synchronized Future<Void> start(Vertx vertx) {
    if (timer < 0) {
      timerVertx = vertx;
      timer = vertx.setPeriodic(options.syncInterval().toMillis(), id -> sync());
    }
    return sync().otherwiseEmpty();
  }

  /** Stops the periodic sync. */
  public synchronized void stop() {
    if (timer >= 0) {
      timerVertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /**
   * Revokes a token until its expiry: PostgreSQL, then Redis. Succeeds without writing when the token has already
   * expired beyond {@link Options#retainAfterExpiry()}. Fails with {@link RevocationUnavailableException} when either
   * store cannot take it (if PostgreSQL took it, it is enforced once Redis is refilled).
   *
   * @param expiresAt the token's {@code exp}
   */
  public Future<Void> revoke(String jti, Instant expiresAt) {
    requireJti(jti);
    long untilMs = expiresAt.plus(options.retainAfterExpiry()).toEpochMilli();
    if (untilMs <= clock.millis()) {
      return Future.succeededFuture();
    }
    return within(records.record(jti, expiresAt), "record")
        .compose(v -> {
          // Durable from here on: this node refuses the token at once, whatever Redis does.
          notRevoked.remove(jti);
          cache(revoked, jti, untilMs);
          return call(set(jti, untilMs), "revoke").onFailure(err -> {
            refillOwed = true;
            // Best effort: without the marker every node reads PostgreSQL until Redis is refilled, instead of
            // trusting a Redis that lacks this revocation until this node's next sync.
            call(Request.cmd(Command.DEL).arg(markerKey), "revoke").onFailure(e -> LOG.debug(
                "revocations: could not drop the refill marker: {}", e.toString()));
          });
        })
        .mapEmpty();
  }

  /**
   * Whether a token was revoked: from Redis while it is known complete, else from PostgreSQL. Fails with
   * {@link RevocationUnavailableException} when neither can answer.
   */
  public Future<Boolean> isRevoked(String jti) {
    requireJti(jti);
    Long until = revoked.get(jti);
    if (until != null) {
      if (until > clock.millis()) {
        return Future.succeededFuture(true);
      }
      revoked.remove(jti, until);
    }
    long asked = System.nanoTime();
    Long fresh = notRevoked.get(jti);
    if (fresh != null) {
      if (fresh - asked > 0) {
        return Future.succeededFuture(false);
      }
      notRevoked.remove(jti, fresh);
    }
    String expected = runId;
    if (!redisComplete || expected == null) {
      return fromRecords(jti, asked);
    }
    return call(Request.cmd(Command.MGET).arg(markerKey).arg(key(jti)), "check").transform(ar -> {
      if (ar.failed()) {
        redisComplete = false;
        return fromRecords(jti, asked);
      }
      Response marker = ar.result().get(0);
      Response entry = ar.result().get(1);
      if (marker == null || !expected.equals(marker.toString())) {
        // Flushed or restarted and not refilled yet: Redis may be missing entries.
        redisComplete = false;
        return fromRecords(jti, asked);
      }
      if (entry == null) {
        return Future.succeededFuture(notRevoked(jti, asked));
      }
      // The value is the entry's own end; an entry written without one is revoked for a second at a time.
      long entryUntil = parseLong(entry.toString());
      cache(revoked, jti, entryUntil > clock.millis() ? entryUntil : clock.millis() + 1000);
      return Future.succeededFuture(true);
    });
  }

  private Future<Boolean> fromRecords(String jti, long asked) {
    return within(records.find(jti), "check").map(exp -> {
      if (exp.isPresent()) {
        long untilMs = exp.get().plus(options.retainAfterExpiry()).toEpochMilli();
        if (untilMs > clock.millis()) {
          cache(revoked, jti, untilMs);
          return true;
        }
      }
      return notRevoked(jti, asked);
    });
  }

  private boolean notRevoked(String jti, long asked) {
    if (!options.notRevokedTtl().isZero()) {
      cache(notRevoked, jti, asked + options.notRevokedTtl().toNanos());
    }
    return false;
  }

  /**
   * Checks that Redis holds every revocation and refills it from PostgreSQL when it may not (see the class comment);
   * also purges expired records every {@link Options#purgeInterval()}. One sync at a time per node; fails when Redis
   * or PostgreSQL cannot be reached (the node then reads PostgreSQL, or fails as documented).
   */
  public synchronized Future<Void> sync() {
    if (syncing == null) {
      syncing = runSync().onComplete(ar -> {
        synchronized (this) {
          syncing = null;
        }
      });
    }
    return syncing;
  }

  private Future<Void> runSync() {
    return call(Request.cmd(Command.INFO).arg("server"), "sync").compose(info -> {
      String current = runIdOf(info.toString());
      runId = current;
      return call(Request.cmd(Command.GET).arg(markerKey), "sync").compose(marker -> {
        boolean owed = refillOwed;
        String seen = marker == null ? null : marker.toString();
        if (!owed && current.equals(seen)) {
          redisComplete = true;
          return Future.<Void>succeededFuture();
        }
        redisComplete = false;
        if (!owed && seen != null && seen.startsWith(FILLING)) {
          // Another node is refilling; reads go to PostgreSQL until it is done (or its lease runs out).
          return Future.<Void>succeededFuture();
        }
        refillOwed = false;
        return refill(current).onFailure(err -> refillOwed |= owed);
      });
    }).onFailure(err -> {
      if (redisComplete) {
        LOG.warn("revocations: {}; checks are answered by PostgreSQL until Redis is back and refilled",
            err.getMessage());
      }
      redisComplete = false;
    }).compose(v -> purgeIfDue());
  }

  /** Copies every live revocation into Redis, then marks Redis filled for {@code current} if nothing interfered. */
  private Future<Void> refill(String current) {
    String mine = FILLING + UUID.randomUUID();
    Instant now = clock.instant();
    return call(Request.cmd(Command.SET).arg(markerKey).arg(mine).arg("PX").arg(REFILL_LEASE.toMillis()), "refill")
        .compose(v -> within(records.activeAfter(now.minus(options.retainAfterExpiry())), "refill"))
        .compose(rows -> {
          Future<Void> chain = Future.succeededFuture();
          for (int from = 0; from < rows.size(); from += REFILL_BATCH) {
            List<Request> batch = new ArrayList<>();
            for (RevocationRecords.Revoked r : rows.subList(from, Math.min(rows.size(), from + REFILL_BATCH))) {
              long untilMs = r.expiresAt().plus(options.retainAfterExpiry()).toEpochMilli();
              if (untilMs > clock.millis()) {
                batch.add(set(r.jti(), untilMs));
              }
            }
            chain = chain.compose(v -> batch.isEmpty() ? Future.succeededFuture()
                : within(redis.batch(batch), "refill").mapEmpty());
          }
          return chain.compose(v -> call(Request.cmd(Command.EVAL).arg(COMPLETE_REFILL).arg(1).arg(markerKey)
              .arg(mine).arg(current), "refill")).map(done -> {
                if (done.toInteger() == 1) {
                  redisComplete = true;
                  LOG.info("revocations: Redis (run_id {}) refilled from PostgreSQL with {} entr{}", current,
                      rows.size(), rows.size() == 1 ? "y" : "ies");
                } else {
                  LOG.info("revocations: Redis changed during the refill; the next sync checks again");
                }
                return null;
              });
        });
  }

  private Future<Void> purgeIfDue() {
    long now = System.nanoTime();
    if (now - lastPurgeNanos < options.purgeInterval().toNanos()) {
      return Future.succeededFuture();
    }
    lastPurgeNanos = now;
    return within(records.purge(clock.instant().minus(options.retainAfterExpiry())), "purge").map(n -> {
      if (n > 0) {
        LOG.debug("revocations: {} expired record(s) purged", n);
      }
      return null;
    });
  }

  /** Deletes expired records now (tests, tools); returns how many. */
  public Future<Integer> purgeExpired() {
    return within(records.purge(clock.instant().minus(options.retainAfterExpiry())), "purge");
  }

  /** True while reads are answered by Redis (it was found complete by the last sync). */
  public boolean redisComplete() {
    return redisComplete;
  }

  private static String runIdOf(String info) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("run_id:")) {
        return line.substring("run_id:".length()).trim();
      }
    }
    // A server that hides its run_id: restarts with persistence go unnoticed, flushes and empty restarts not.
    return "unknown";
  }

  private Request set(String jti, long untilMs) {
    return Request.cmd(Command.SET).arg(key(jti)).arg(untilMs).arg("PXAT").arg(untilMs);
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private Future<Response> call(Request request, String what) {
    return redis.send(request).timeout(options.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(new RevocationUnavailableException(
            "revocation store unavailable (Redis, " + what + "): " + err.getClass().getSimpleName() + ": "
                + err.getMessage(), err)));
  }

  private <T> Future<T> within(Future<T> operation, String what) {
    long ms = Math.max(options.commandTimeout().toMillis(), Options.MIN_RECORD_TIMEOUT.toMillis());
    return operation.timeout(ms, TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(new RevocationUnavailableException(
            "revocation store unavailable (" + what + "): " + err.getClass().getSimpleName() + ": "
                + err.getMessage(), err)));
  }

  private void cache(ConcurrentHashMap<String, Long> map, String jti, long until) {
    if (map.size() >= options.maxCachedAnswers()) {
      // Bounded memory under a flood of distinct tokens: dropping answers only costs extra reads.
      map.clear();
    }
    map.put(jti, until);
  }

  private static void requireJti(String jti) {
    if (jti == null || jti.isEmpty()) {
      throw new IllegalArgumentException("a token id (jti) is required");
    }
  }

  String key(String jti) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(jti.getBytes(StandardCharsets.UTF_8));
      return options.keyPrefix() + Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }
}
