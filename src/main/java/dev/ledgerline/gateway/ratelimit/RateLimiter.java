package dev.ledgerline.gateway.ratelimit;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.config.LedgerlineConfig.RateLimit;
import dev.ledgerline.tracing.CallerPromises;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster-wide token buckets, one per (subject, operation), kept in Redis and updated by a Lua script (a single
 * EVALSHA round trip on the pooled client, never blocking).
 *
 * <p><b>Coalescing.</b> On an event loop, while a script call for a bucket is in flight, further checks of that
 * bucket wait and then go as one call asking for that many tokens; the script grants them in arrival order as far as
 * the bucket allows, exactly as one call each would. A busy subject thus costs one round trip per batch, not per
 * request, and an idle one waits for nothing.
 *
 * <p><b>Time.</b> The script reads Redis's own clock ({@code TIME}). All nodes share each bucket, so the refill must
 * be computed against a single clock; node clocks may drift apart or step, which would mint or destroy tokens.
 * Redis 5+ replicates scripts by effects, so a non-deterministic {@code TIME} before the writes is allowed.
 *
 * <p><b>Keys.</b> {@code <prefix><operation>:<base64url(sha256(subject)) truncated to 128 bits>}. The subject comes
 * from the client (an IP address, a token subject), so it is hashed: it can neither inject into the key space nor
 * make keys arbitrarily long. Operation names are fixed by the code and restricted to {@code [a-z0-9._-]}. A key
 * expires when its bucket would be full again, so idle buckets vanish on their own (absent = full).
 *
 * <p><b>Fallback.</b> A connection error or a command that takes longer than {@link Options#commandTimeout()} makes
 * the limiter <em>degraded</em>: it logs once, stops asking Redis and enforces local buckets with each limit divided
 * by the number of cluster members (so the cluster as a whole stays near the configured rate). Every
 * {@link Options#probeInterval()} it re-loads the script into Redis; once that succeeds it returns to Redis and logs
 * once. Local buckets are dropped on return: Redis is the truth again.
 *
 * <p>Thread-safe: create one instance per node and share it between the gateway's verticle instances (its meters
 * are registered once; a second instance on the same registry would not get its own degraded gauge).
 */
public final class RateLimiter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RateLimiter.class);

  /**
   * Refill against Redis's clock (microseconds), then serve ARGV[3] requests of one token each, in order, while
   * tokens last; answer how many were granted. Expire the key when it would be full. Numbers are handed to redis.call
   * as Lua numbers, which Redis formats with 17 significant digits, so the microsecond timestamp survives the round
   * trip (tostring would round it to 14).
   */
  static final String SCRIPT = """
      local capacity = tonumber(ARGV[1])
      local rate = tonumber(ARGV[2])
      local wanted = tonumber(ARGV[3])
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
      local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
      local tokens = tonumber(state[1])
      local ts = tonumber(state[2])
      if tokens == nil or ts == nil then
        tokens = capacity
      elseif now > ts then
        tokens = tokens + (now - ts) * rate / 1000000
      end
      if tokens > capacity then tokens = capacity end
      local granted = math.min(wanted, math.floor(tokens))
      if granted < 0 then granted = 0 end
      tokens = tokens - granted
      local remaining = math.floor(tokens)
      local next_ms = 0
      if tokens < capacity then
        next_ms = math.ceil((remaining + 1 - tokens) * 1000 / rate)
        local full_ms = math.ceil((capacity - tokens) * 1000 / rate)
        redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
        redis.call('PEXPIRE', KEYS[1], full_ms)
      else
        redis.call('DEL', KEYS[1])
      end
      return {granted, remaining, next_ms}
      """;

  /**
   * Tuning that is not configuration.
   *
   * @param commandTimeout a script call slower than this counts as Redis being unreachable
   * @param probeInterval how often a degraded limiter checks whether Redis is back
   * @param keyPrefix prefix of every bucket key
   * @param maxLocalBuckets bound on the local buckets kept while degraded
   * @param leaseShare the share of a bucket's capacity one event loop may lease ahead (see {@link #leaseSize})
   * @param leaseMax the most tokens one event loop leases of one bucket
   * @param leaseTtl how long leased tokens may be spent; unspent ones are then dropped, never given back
   */
  public record Options(Duration commandTimeout, Duration probeInterval, String keyPrefix, int maxLocalBuckets,
      double leaseShare, int leaseMax, Duration leaseTtl) {
    public static final Options DEFAULTS = new Options(Duration.ofMillis(250), Duration.ofSeconds(1), "ll:rl:",
        100_000, 0.01, 256, Duration.ofSeconds(1));

    /** Without leases: every check goes to Redis (coalesced per bucket and event loop). */
    public Options(Duration commandTimeout, Duration probeInterval, String keyPrefix, int maxLocalBuckets) {
      this(commandTimeout, probeInterval, keyPrefix, maxLocalBuckets, 0, 0, Duration.ofSeconds(1));
    }

    /** The defaults with {@code redis.command-timeout}. */
    public static Options from(LedgerlineConfig config) {
      return new Options(config.redisSettings().commandTimeout(), DEFAULTS.probeInterval(), DEFAULTS.keyPrefix(),
          DEFAULTS.maxLocalBuckets(), DEFAULTS.leaseShare(), DEFAULTS.leaseMax(), DEFAULTS.leaseTtl());
    }

    public Options {
      Objects.requireNonNull(keyPrefix);
      if (commandTimeout.isNegative() || commandTimeout.isZero() || probeInterval.toMillis() < 1
          || maxLocalBuckets < 1 || leaseTtl.toMillis() < 1) {
        throw new IllegalArgumentException("timeouts and intervals must be positive");
      }
      if (leaseShare < 0 || leaseShare > 1 || leaseMax < 0) {
        throw new IllegalArgumentException("leaseShare must be 0..1 and leaseMax not negative");
      }
    }

    /**
     * Tokens of a bucket of {@code capacity} one event loop leases ahead: {@code leaseShare} of it, at most
     * {@code leaseMax}; 0 (no lease, every check asks Redis) below 2, so small buckets, the production defaults
     * among them, stay exact.
     */
    public int leaseSize(long capacity) {
      long size = Math.min(leaseMax, (long) Math.floor(capacity * leaseShare));
      return size < 2 ? 0 : (int) size;
    }
  }

  private final Vertx vertx;
  private final Redis redis;
  private final IntSupplier members;
  private final Options options;
  private final LocalBuckets local;
  private final AtomicBoolean degraded = new AtomicBoolean();
  private final AtomicBoolean probing = new AtomicBoolean();
  private final AtomicReference<Future<String>> loading = new AtomicReference<>();
  private final Counter allowedRedis;
  private final Counter deniedRedis;
  private final Counter allowedLocal;
  private final Counter deniedLocal;
  private final Counter allowedLeased;
  private final Counter fallbacks;
  private final Counter scriptReloads;
  private final Counter busy;
  private volatile String sha;
  private volatile Limits limits;
  private volatile long probeTimer = -1;
  /** Cluster size while degraded (see {@link #refreshMembers()}). */
  private volatile int memberCount = 1;
  private volatile boolean closed;

  /**
   * @param vertx the node's Vert.x, for the probe timer and command timeouts
   * @param redis the node's pooled Redis client (not closed by this class)
   * @param limits {@code gateway.rate-limits}; must contain {@code default}
   * @param members the current number of cluster members, used to share the limits while degraded
   * @param registry where the limiter's meters are registered
   */
  public RateLimiter(Vertx vertx, Redis redis, Map<String, RateLimit> limits, IntSupplier members,
      MeterRegistry registry, Options options) {
    this.vertx = Objects.requireNonNull(vertx);
    this.redis = Objects.requireNonNull(redis);
    this.members = Objects.requireNonNull(members);
    this.options = Objects.requireNonNull(options);
    this.local = new LocalBuckets(options.maxLocalBuckets());
    updateLimits(limits);
    Gauge.builder("ledgerline.ratelimit.degraded", degraded, d -> d.get() ? 1 : 0)
        .description("1 while rate limits are enforced per node because Redis is unreachable").register(registry);
    allowedRedis = decisions(registry, "allowed", "redis");
    deniedRedis = decisions(registry, "denied", "redis");
    allowedLocal = decisions(registry, "allowed", "local");
    deniedLocal = decisions(registry, "denied", "local");
    allowedLeased = decisions(registry, "allowed", "lease");
    fallbacks = Counter.builder("ledgerline.ratelimit.fallbacks")
        .description("switches from Redis to local buckets").register(registry);
    scriptReloads = Counter.builder("ledgerline.ratelimit.script.loads")
        .description("times the token-bucket script was (re)loaded into Redis").register(registry);
    busy = Counter.builder("ledgerline.ratelimit.pool.busy")
        .description("decisions taken locally because the Redis pool's wait queue was full").register(registry);
    refreshMembers();
  }

  public RateLimiter(Vertx vertx, Redis redis, Map<String, RateLimit> limits, IntSupplier members,
      MeterRegistry registry) {
    this(vertx, redis, limits, members, registry, Options.DEFAULTS);
  }

  private static Counter decisions(MeterRegistry registry, String outcome, String backend) {
    return Counter.builder("ledgerline.ratelimit.decisions").tag("outcome", outcome).tag("backend", backend)
        .description("rate-limit decisions").register(registry);
  }

  /**
   * Loads the script. Always succeeds: if Redis cannot be reached the limiter starts degraded and keeps probing, so
   * that the gateway can start (and report itself degraded) while Redis is down.
   */
  public Future<Void> start() {
    return loadScript().<Void>mapEmpty().recover(err -> {
      goDegraded(err);
      return Future.succeededFuture();
    });
  }

  /** Applies a new {@code gateway.rate-limits}; buckets keep their tokens, clamped to the new capacity. */
  public void updateLimits(Map<String, RateLimit> newLimits) {
    if (!newLimits.containsKey(RateLimit.DEFAULT_OPERATION)) {
      throw new IllegalArgumentException("rate limits need a '" + RateLimit.DEFAULT_OPERATION + "' entry");
    }
    this.limits = new Limits(Map.copyOf(newLimits), new ConcurrentHashMap<>());
  }

  /**
   * The configured limits with the policies derived from them so far. Swapped as one object on reload, so that a
   * policy built from the old limits can never be cached next to the new ones.
   */
  private record Limits(Map<String, RateLimit> byOperation, ConcurrentHashMap<String, Policy> policies) {
    Policy policy(String operation) {
      // Operations come from code, so the cache stays small.
      return policies.computeIfAbsent(operation, op -> {
        RateLimit l = byOperation.get(op);
        return Policy.of(op, l != null ? l : byOperation.get(RateLimit.DEFAULT_OPERATION));
      });
    }
  }

  /** The policy that applies to an operation (its own, or the default one under its name). */
  public Policy policy(String operation) {
    return limits.policy(operation);
  }

  /** True while limits are enforced per node because Redis is unreachable: {@code /health/ready} shows degraded. */
  public boolean degraded() {
    return degraded.get();
  }

  /**
   * Takes one token from the bucket of (subject, operation). Never fails: when Redis cannot answer, the local
   * fallback decides.
   *
   * @param subject who is limited, e.g. {@code sub:<token subject>} or {@code ip:<address>}
   * @param operation a named route such as {@code transfers.create}
   */
  public Future<Decision> check(String subject, String operation) {
    Objects.requireNonNull(subject, "subject");
    Policy policy = policy(operation);
    String key = key(operation, subject);
    if (degraded.get()) {
      return Future.succeededFuture(takeLocal(key, policy));
    }
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      return take(key, policy, 1).map(all -> all.get(0));
    }
    int leaseSize = options.leaseSize(policy.capacity());
    Leases leases = null;
    if (leaseSize > 0) {
      leases = context.get(LEASES);
      if (leases == null) {
        leases = new Leases();
        context.put(LEASES, leases);
      }
      Lease lease = leases.get(key);
      long now = System.nanoTime();
      if (lease != null && lease.tokens > 0 && now - lease.expires < 0) {
        // Spent from tokens Redis already granted to this event loop: no round trip.
        lease.tokens--;
        allowedLeased.increment();
        if (lease.tokens <= leaseSize / 2 && !lease.refilling) refill(context, key, policy, lease, leaseSize);
        return Future.succeededFuture(Decision.of(true, policy, lease.remaining + lease.tokens, lease.nextMillis));
      }
    }
    // Per event loop, so that a batch is sent and answered on the thread of every request in it. A key is present
    // while a call for its bucket is in flight; its list holds the checks that arrived since.
    Map<String, List<Promise<Decision>>> waiting = context.get(WAITING);
    if (waiting == null) {
      waiting = new HashMap<>();
      context.put(WAITING, waiting);
    }
    Promise<Decision> promise = CallerPromises.promise();
    List<Promise<Decision>> queued = waiting.get(key);
    if (queued != null) {
      queued.add(promise);
      return promise.future();
    }
    waiting.put(key, new ArrayList<>());
    send(context, waiting, leases, key, policy, List.of(promise));
    return promise.future();
  }

  private static final Object WAITING = new Object();
  private static final Object LEASES = new Object();

  /** Tokens one event loop holds of one bucket, with the bucket's state when they were granted. */
  private static final class Lease {
    long tokens;
    long expires;
    long remaining;
    long nextMillis;
    boolean refilling;
  }

  /** One event loop's leases; bounded, expired ones are swept when it is full. */
  private static final class Leases extends HashMap<String, Lease> {
    static final int MAX = 10_000;

    /** The lease of {@code key}, created if there is room. */
    Lease of(String key, long now) {
      Lease l = get(key);
      if (l == null) {
        if (size() >= MAX) values().removeIf(e -> !e.refilling && now - e.expires >= 0);
        if (size() >= MAX) return null;
        l = new Lease();
        put(key, l);
      }
      return l;
    }
  }

  /** Tops the lease up to {@code leaseSize} while what is left of it still serves. */
  private void refill(Context context, String key, Policy policy, Lease lease, int leaseSize) {
    lease.refilling = true;
    take(key, policy, 0, (int) (leaseSize - lease.tokens)).onComplete(ar -> context.runOnContext(v -> {
      lease.refilling = false;
      leased(lease, ar.result());
    }));
  }

  /**
   * Adds the tokens Redis granted beyond the waiting checks. Each call asks for at most what the lease lacks, so a
   * lease never holds more than its size; tokens of an expired lease are dropped first.
   */
  private void leased(Lease lease, Taken taken) {
    if (lease == null || taken.extra() == 0) return;
    long now = System.nanoTime();
    lease.tokens = (now - lease.expires < 0 ? lease.tokens : 0) + taken.extra();
    lease.expires = now + options.leaseTtl().toNanos();
    lease.remaining = taken.remaining();
    lease.nextMillis = taken.nextMillis();
  }

  private void send(Context context, Map<String, List<Promise<Decision>>> waiting, Leases leases, String key,
      Policy policy, List<Promise<Decision>> batch) {
    long now = System.nanoTime();
    Lease lease = leases == null ? null : leases.of(key, now);
    int extra = lease == null || lease.refilling ? 0
        : (int) Math.max(0, options.leaseSize(policy.capacity()) - (now - lease.expires < 0 ? lease.tokens : 0));
    if (lease != null && extra > 0) lease.refilling = true;
    // The answer may arrive on another thread (a script load shared with another event loop): hop back first.
    take(key, policy, batch.size(), extra).onComplete(ar -> context.runOnContext(v -> {
      Taken taken = ar.result(); // take never fails
      if (extra > 0) {
        lease.refilling = false;
        leased(lease, taken);
      }
      List<Decision> decisions = taken.decisions();
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).complete(decisions.get(i));
      }
      List<Promise<Decision>> queued = waiting.get(key);
      if (queued.isEmpty()) {
        waiting.remove(key);
      } else {
        waiting.put(key, new ArrayList<>());
        send(context, waiting, leases, key, policy, queued);
      }
    }));
  }

  /**
   * The decisions of the checks that asked, and the tokens granted beyond them for a lease ({@code extra}), with the
   * bucket's whole tokens left and the milliseconds to its next token after the call.
   */
  private record Taken(List<Decision> decisions, long extra, long remaining, long nextMillis) {}

  /** Takes up to {@code n} tokens, one per request in order; never fails (the local buckets decide instead). */
  private Future<List<Decision>> take(String key, Policy policy, int n) {
    return take(key, policy, n, 0).map(Taken::decisions);
  }

  /**
   * Takes up to {@code n} tokens, one per request in order, then up to {@code extra} more for a lease; never fails
   * (the local buckets decide the requests instead, and nothing is leased).
   */
  private Future<Taken> take(String key, Policy policy, int n, int extra) {
    if (degraded.get()) {
      return Future.succeededFuture(new Taken(takeLocal(key, policy, n), 0, 0, 0));
    }
    String current = sha;
    int wanted = n + extra;
    Future<Response> reply = current != null ? evalsha(current, key, policy, wanted)
        : loadScript().compose(s -> evalsha(s, key, policy, wanted));
    return reply.recover(err -> {
      if (isNoScript(err)) {
        // Redis restarted or SCRIPT FLUSH: load again (once for all concurrent callers) and retry this call.
        return reloadScript(current).compose(s -> evalsha(s, key, policy, wanted));
      }
      return Future.failedFuture(err);
    }).map(r -> {
      long granted = r.get(0).toLong();
      long remaining = r.get(1).toLong();
      long nextMillis = r.get(2).toLong();
      // The requests come first: a lease only ever gets what they left.
      long grantedRequests = Math.min(granted, n);
      long leased = granted - grantedRequests;
      List<Decision> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        // As if served one by one: the i-th granted request saw the tokens the later ones then took.
        boolean allowed = i < grantedRequests;
        out.add(Decision.of(allowed, policy, allowed ? remaining + leased + (grantedRequests - 1 - i) : remaining,
            nextMillis));
      }
      allowedRedis.increment(grantedRequests);
      deniedRedis.increment(n - grantedRequests);
      return new Taken(out, leased, remaining, nextMillis);
    }).recover(err -> {
      if (err instanceof ConnectionPoolTooBusyException) {
        // Redis is fine, this node's pool is saturated: decide these requests locally without leaving Redis.
        busy.increment(n);
      } else {
        goDegraded(err);
      }
      return Future.succeededFuture(new Taken(takeLocal(key, policy, n), 0, 0, 0));
    });
  }

  private List<Decision> takeLocal(String key, Policy policy, int n) {
    List<Decision> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(takeLocal(key, policy));
    }
    return out;
  }

  private Decision takeLocal(String key, Policy policy) {
    Decision d = local.take(key, policy.divided(memberCount), System.nanoTime());
    (d.allowed() ? allowedLocal : deniedLocal).increment();
    return d;
  }

  private Future<Response> evalsha(String script, String key, Policy policy, int requests) {
    Request req = Request.cmd(Command.EVALSHA).arg(script).arg(1).arg(key).arg(policy.capacity())
        .arg(Double.toString(policy.refillPerSecond())).arg(requests);
    return redis.send(req).timeout(options.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SCRIPT LOAD, shared by concurrent callers. */
  private Future<String> loadScript() {
    Future<String> inFlight = loading.get();
    if (inFlight != null) {
      return inFlight;
    }
    Future<String> f = redis.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(SCRIPT))
        .timeout(options.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .map(r -> {
          sha = r.toString();
          scriptReloads.increment();
          return sha;
        });
    if (!loading.compareAndSet(null, f)) {
      return Objects.requireNonNullElse(loading.get(), f);
    }
    f.onComplete(ar -> loading.compareAndSet(f, null));
    return f;
  }

  /** Loads again unless another caller already replaced the sha that failed. */
  private Future<String> reloadScript(String failedSha) {
    String now = sha;
    if (now != null && !now.equals(failedSha)) {
      return Future.succeededFuture(now);
    }
    return loadScript();
  }

  static boolean isNoScript(Throwable err) {
    // Redis error replies are io.vertx.redis.client.impl.types.ErrorType, a Throwable that is not an Exception; the
    // reply text is the reliable part.
    String m = err.getMessage();
    return m != null && m.startsWith("NOSCRIPT");
  }

  private void goDegraded(Throwable cause) {
    if (closed || degraded.get()) {
      return;
    }
    refreshMembers(); // before the switch, so that no local decision uses a stale count
    if (!degraded.compareAndSet(false, true)) {
      return;
    }
    fallbacks.increment();
    LOG.warn("rate limiter: Redis unreachable ({}); enforcing local buckets at 1/{} of each limit until it is back",
        describe(cause), memberCount);
    probeTimer = vertx.setPeriodic(options.probeInterval().toMillis(), this::probe);
  }

  /** Asking the cluster manager may not be cheap, so the count is refreshed per probe rather than per request. */
  private void refreshMembers() {
    try {
      memberCount = Math.max(1, members.getAsInt());
    } catch (RuntimeException e) {
      LOG.debug("cluster size unknown, keeping {}", memberCount, e);
    }
  }

  /** @param timerId this probe's own timer: a later outage may already have started another one */
  private void probe(long timerId) {
    long now = System.nanoTime();
    refreshMembers();
    local.sweep(now);
    if (closed || !probing.compareAndSet(false, true)) {
      return;
    }
    loadScript().onComplete(ar -> {
      probing.set(false);
      if (ar.succeeded() && !closed && degraded.compareAndSet(true, false)) {
        vertx.cancelTimer(timerId);
        local.clear();
        LOG.info("rate limiter: Redis reachable again; cluster-wide buckets restored");
      }
    });
  }

  private static String describe(Throwable t) {
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  /** The Redis key of a bucket; see the class comment. */
  String key(String operation, String subject) {
    if (!isOperationName(operation)) {
      throw new IllegalArgumentException("operation names are 1-64 of [a-z0-9._-]: " + operation);
    }
    byte[] digest = SHA256.get().digest(subject.getBytes(StandardCharsets.UTF_8));
    byte[] half = new byte[16];
    System.arraycopy(digest, 0, half, 0, 16);
    return options.keyPrefix() + operation + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(half);
  }

  static boolean isOperationName(String s) {
    if (s == null || s.isEmpty() || s.length() > 64) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  });

  /** Stops probing; the Redis client belongs to the caller. */
  @Override
  public void close() {
    closed = true;
    long t = probeTimer;
    if (t >= 0) {
      vertx.cancelTimer(t);
    }
  }
}
