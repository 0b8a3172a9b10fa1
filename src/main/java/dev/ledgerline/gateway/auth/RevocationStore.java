package dev.ledgerline.gateway.auth;

import dev.ledgerline.config.LedgerlineConfig;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Revoked access tokens, by {@code jti}, shared by the cluster through Redis.
 *
 * <p>{@link #revoke} stores the token until its own expiry (plus {@link Options#retainAfterExpiry()}, which must cover
 * the leeway the JWT validator grants), with {@code SET key 1 PXAT <ms>}: after that the token is refused for being
 * expired, so the entry would be dead weight. Keys are {@code <prefix><base64url(sha256(jti))>}, so a caller-chosen
 * {@code jti} can neither inject into the key space nor make keys long.
 *
 * <p><b>Within one second on every node.</b> Answers are cached per node: "revoked" until the entry's own expiry
 * (revocation is permanent), "not revoked" for {@link Options#notRevokedTtl()}, which must be below 1 s and is
 * counted from the moment the question was sent to Redis. A revocation is therefore seen by every node within that
 * TTL, and immediately by the node that made it. This was chosen over pub/sub invalidation because it needs no
 * dedicated subscriber connection per node, and a missed message (reconnect) could otherwise leave a revoked token
 * accepted indefinitely; the cost is at most one Redis read per token per TTL per node.
 *
 * <p><b>Redis unavailable.</b> {@link #isRevoked} and {@link #revoke} fail with {@link RevocationUnavailableException}
 * (a cached answer younger than its TTL is still served). The gateway answers writes with 503 and treats reads
 * according to {@link ReadsWhenUnavailable}.
 */
public final class RevocationStore {
  /** {@code auth.revocation.reads-when-unavailable}: what a read does when revocation cannot be checked. */
  public enum ReadsWhenUnavailable {
    ALLOW, DENY;

    public static ReadsWhenUnavailable from(LedgerlineConfig config) {
      return valueOf(String.valueOf(config.value("auth.revocation.reads-when-unavailable")).toUpperCase(Locale.ROOT));
    }
  }

  /**
   * @param commandTimeout a Redis call slower than this counts as unavailable
   * @param notRevokedTtl how long a "not revoked" answer is reused; below 1 s (zero disables the cache)
   * @param retainAfterExpiry how long an entry outlives the token's {@code exp}; at least the validator's leeway
   * @param maxCachedAnswers bound on cached answers per node
   * @param keyPrefix prefix of every revocation key
   */
  public record Options(Duration commandTimeout, Duration notRevokedTtl, Duration retainAfterExpiry,
      int maxCachedAnswers, String keyPrefix) {
    public static final Options DEFAULTS = new Options(Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(60), 100_000, "ll:revoked:");

    /**
     * The defaults with {@code redis.command-timeout}, and entries kept for {@code auth.jwt.leeway} after exp: as long
     * as the validator accepts.
     */
    public static Options from(LedgerlineConfig config) {
      return new Options(config.durationValue("redis.command-timeout"), DEFAULTS.notRevokedTtl(),
          config.durationValue("auth.jwt.leeway"), DEFAULTS.maxCachedAnswers(),
          DEFAULTS.keyPrefix());
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
    }
  }

  private final Redis redis;
  private final Options options;
  private final Clock clock;
  /** jti → System.nanoTime() until which "not revoked" may be reused. */
  private final ConcurrentHashMap<String, Long> notRevoked = new ConcurrentHashMap<>();
  /** jti → epoch millis until which the token counts as revoked. */
  private final ConcurrentHashMap<String, Long> revoked = new ConcurrentHashMap<>();

  /**
   * @param redis the node's pooled Redis client (not closed by this class)
   * @param clock wall clock for token expiry (tests may pass a fixed one)
   */
  public RevocationStore(Redis redis, Options options, Clock clock) {
    this.redis = Objects.requireNonNull(redis);
    this.options = Objects.requireNonNull(options);
    this.clock = Objects.requireNonNull(clock);
  }

  public RevocationStore(Redis redis) {
    this(redis, Options.DEFAULTS, Clock.systemUTC());
  }

  /**
   * Revokes a token until its expiry. Succeeds without writing when the token has already expired beyond
   * {@link Options#retainAfterExpiry()}.
   *
   * @param expiresAt the token's {@code exp}
   */
  public Future<Void> revoke(String jti, Instant expiresAt) {
    requireJti(jti);
    long untilMs = expiresAt.plus(options.retainAfterExpiry()).toEpochMilli();
    if (untilMs <= clock.millis()) {
      return Future.succeededFuture();
    }
    Request set = Request.cmd(Command.SET).arg(key(jti)).arg("1").arg("PXAT").arg(untilMs);
    return call(set, "revoke").map(r -> {
      notRevoked.remove(jti);
      cache(revoked, jti, untilMs);
      return null;
    });
  }

  /**
   * Whether a token was revoked. Fails with {@link RevocationUnavailableException} when Redis cannot answer.
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
    return call(Request.cmd(Command.PTTL).arg(key(jti)), "check").map(r -> {
      long pttl = r.toLong();
      // -2: no entry; -1 cannot happen (every entry has an expiry) but would mean revoked with no end.
      if (pttl == -2) {
        if (!options.notRevokedTtl().isZero()) {
          cache(notRevoked, jti, asked + options.notRevokedTtl().toNanos());
        }
        return false;
      }
      cache(revoked, jti, pttl < 0 ? Long.MAX_VALUE : clock.millis() + pttl);
      return true;
    });
  }

  private Future<io.vertx.redis.client.Response> call(Request request, String what) {
    return redis.send(request).timeout(options.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(new RevocationUnavailableException(
            "revocation store unavailable (" + what + "): " + err.getClass().getSimpleName() + ": "
                + err.getMessage(), err)));
  }

  private void cache(ConcurrentHashMap<String, Long> map, String jti, long until) {
    if (map.size() >= options.maxCachedAnswers()) {
      // Bounded memory under a flood of distinct tokens: dropping answers only costs extra Redis reads.
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
