package dev.ledgerline.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read-through cache in two layers: L1, a Caffeine map per node (size-bounded, TTL {@code cache.l1-ttl}), and L2,
 * Redis (TTL {@code cache.l2-ttl}), in front of a loader (the source of truth).
 *
 * <p><b>Reading.</b> {@link #get} answers from L1, else from L2 (filling L1), else from the loader (filling L2 and
 * L1). Misses are single-flight per key per node: however many callers miss one key at once, one L2 read and at most
 * one load run, and they all get its answer. An entry keeps the time it was stored and its expiry in both layers, so
 * its age and remaining freshness are the same whichever layer or node answers.
 *
 * <p><b>Invalidating.</b> {@link #invalidate} drops keys and {@link #invalidateTag} every key stored with a tag: in
 * this node's L1 at once, in every other node's L1 through an event-bus publish on {@link #INVALIDATE_ADDRESS}, and in
 * L2 by key, or through the tag's Redis set (one script, no {@code KEYS} or {@code SCAN}). A load in flight when its
 * key is invalidated still answers its waiters but stores nothing, so a value read before a write is never cached
 * after the write's invalidation on this node.
 *
 * <p><b>Redis away.</b> Every Redis call is bounded by the command timeout; a failed or slow call counts as an L2 miss
 * (reads) or is skipped (writes, deletes) and the cache reports itself degraded, while L1 and the loader keep serving.
 * While degraded no request waits on Redis at all: L2 is skipped and a probe ({@code PING} every
 * {@value #PROBE_MS} ms) looks for its return. The keys and tags whose L2 invalidation was lost meanwhile are
 * remembered (up to {@value #MAX_LOST}; beyond that their L2 TTL bounds them) and dropped from L2 when Redis answers
 * again, before L2 is read again, so that a Redis that kept its data (persistence, a network split) does not serve
 * entries whose write it missed. An L2 value that cannot be decoded (another version's format, a poisoned key) is a
 * miss and is deleted.
 */
public final class MultiLayerCache<V> {
  private static final Logger LOG = LoggerFactory.getLogger(MultiLayerCache.class);
  /** L2 deletes waiting for the end of their event loop's tick; each entry is touched by its own loop only. */
  private final ConcurrentHashMap<Context, TickDeletes> tickDeletes = new ConcurrentHashMap<>();
  /** Published with {@code {cache, keys[]}} or {@code {cache, tag}}: every node drops those entries from its L1. */
  public static final String INVALIDATE_ADDRESS = "cache.invalidate";
  /** First byte of every L2 value: a value in another format is treated as undecodable. */
  private static final byte FORMAT = 1;
  private static final int HEADER = 1 + 8 + 8;
  /** Deletes every key listed in the tag set KEYS[1], then the set. */
  private static final String DROP_TAG = "local ks = redis.call('SMEMBERS', KEYS[1]) "
      + "for i = 1, #ks, 500 do redis.call('DEL', unpack(ks, i, math.min(i + 499, #ks))) end "
      + "redis.call('DEL', KEYS[1]) return #ks";
  /** How often a degraded cache asks whether Redis is back. */
  static final long PROBE_MS = 500;
  /** Lost invalidations remembered for the flush on reconnect; past this the L2 TTL bounds them. */
  static final int MAX_LOST = 100_000;
  /** Keys per DEL of the reconnect flush. */
  private static final int FLUSH_CHUNK = 500;

  /** Where an answer came from. */
  public enum Source { L1, L2, LOAD }

  /** The value's compact form in L2; {@code decode} may throw on bytes it does not understand. */
  public interface Codec<V> {
    byte[] encode(V value);

    V decode(byte[] bytes);
  }

  /**
   * A cached value with the time it was stored (ms since the epoch) and when it stops being fresh.
   *
   * @param source the layer that answered this read
   */
  public record Entry<V>(V value, long storedAt, long expiresAt, Source source) {
    public long ageMillis(long now) {
      return Math.max(0, now - storedAt);
    }

    public long remainingMillis(long now) {
      return Math.max(0, expiresAt - now);
    }

    Entry<V> from(Source s) {
      return s == source ? this : new Entry<>(value, storedAt, expiresAt, s);
    }
  }

  /** How many recent drops each cache remembers; beyond it the oldest are forgotten (their guard with them). */
  static final int DROPS_REMEMBERED = 100_000;
  private static final Duration DROP_MARGIN = Duration.ofSeconds(30);

  /** Reloadable sizes and TTLs; {@code commandTimeout} bounds every Redis call. */
  public record Settings(int l1MaxEntries, Duration l1Ttl, Duration l2Ttl, Duration commandTimeout) {
    public Settings {
      if (l1MaxEntries < 1 || l1Ttl.isNegative() || l1Ttl.isZero() || l2Ttl.isNegative() || l2Ttl.isZero()
          || commandTimeout.isNegative() || commandTimeout.isZero()) {
        throw new IllegalArgumentException("cache sizes, TTLs and the command timeout must be positive");
      }
    }
  }

  private record Stored<V>(Entry<V> entry, List<String> tags) {}

  private final Vertx vertx;
  private final Redis redis;
  private final String name;
  private final String prefix;
  private final Codec<V> codec;
  private final LongSupplier clock;
  private volatile Settings settings;
  private final Cache<String, Stored<V>> l1;
  private final ConcurrentHashMap<String, Promise<Entry<V>>> inflight = new ConcurrentHashMap<>();
  /**
   * When this node last dropped each key (its clock), for a while: an L2 entry whose load began before that drop is
   * older than the write behind it and is not taken (see {@link #load}).
   */
  private final Cache<String, Long> dropped;
  /** L1 keys per tag, so that a tag is dropped without scanning L1. */
  private final ConcurrentHashMap<String, Set<String>> tagIndex = new ConcurrentHashMap<>();
  private final MessageConsumer<JsonObject> consumer;
  /** Tells this instance's own publishes apart: a write-through must not drop the entry it just stored. */
  private final String origin = java.util.UUID.randomUUID().toString();
  private volatile boolean degraded;
  private volatile String lastError = "";
  /** Guarded by {@code this}, with {@code degraded}. */
  private final LostInvalidations lost = new LostInvalidations(MAX_LOST);
  private boolean probing;
  private volatile boolean closed;
  private final Counter flushed;
  private final Counter l1Hits;
  private final Counter l2Hits;
  private final Counter misses;
  private final Counter loads;
  private final Counter redisErrors;
  private final Counter poisoned;

  /**
   * @param redis the node's Redis client; null runs L1 only
   * @param name this cache's name: its Redis key prefix ({@code ll:cache:<name>:}) and metric tag
   * @param clock milliseconds since the epoch (L1 expiry follows it too)
   */
  public MultiLayerCache(Vertx vertx, Redis redis, String name, Codec<V> codec, Settings settings,
      MeterRegistry registry, LongSupplier clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.redis = redis;
    this.name = Objects.requireNonNull(name);
    this.prefix = "ll:cache:" + name + ":";
    this.codec = Objects.requireNonNull(codec);
    this.clock = clock;
    this.settings = settings;
    this.l1 = Caffeine.newBuilder().maximumSize(settings.l1MaxEntries())
        .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.getAsLong()))
        .expireAfter(new Expiry<String, Stored<V>>() {
          @Override
          public long expireAfterCreate(String key, Stored<V> s, long now) {
            return l1Nanos(s);
          }

          @Override
          public long expireAfterUpdate(String key, Stored<V> s, long now, long current) {
            return l1Nanos(s);
          }

          @Override
          public long expireAfterRead(String key, Stored<V> s, long now, long current) {
            return current;
          }
        })
        .removalListener((String key, Stored<V> s, RemovalCause cause) -> {
          if (key != null && s != null && cause != RemovalCause.REPLACED) {
            untag(key, s.tags());
          }
        })
        .executor(Runnable::run)
        .build();
    // Long enough for any L2 entry written by a load that began before a drop to have expired.
    this.dropped = Caffeine.newBuilder().maximumSize(DROPS_REMEMBERED)
        .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.getAsLong()))
        .expireAfterWrite(settings.l2Ttl().plus(settings.commandTimeout()).plus(DROP_MARGIN)).executor(Runnable::run)
        .build();
    this.consumer = vertx.eventBus().<JsonObject>consumer(INVALIDATE_ADDRESS, m -> {
      if (name.equals(m.body().getString("cache")) && !origin.equals(m.body().getString("origin"))) {
        dropLocal(m.body());
      }
    });
    flushed = Counter.builder("ledgerline.cache.l2.flushed").tag("cache", name)
        .description("L2 keys and tags dropped on Redis's return because their invalidation was lost")
        .register(registry);

    l1Hits = counter(registry, "l1");
    l2Hits = counter(registry, "l2");
    misses = counter(registry, "miss");
    loads = Counter.builder("ledgerline.cache.loads").description("loads from the source after a miss in both layers")
        .tag("cache", name).register(registry);
    redisErrors = Counter.builder("ledgerline.cache.redis.errors").description("Redis calls that failed or timed out")
        .tag("cache", name).register(registry);
    poisoned = Counter.builder("ledgerline.cache.l2.undecodable").description("Redis entries that could not be decoded")
        .tag("cache", name).register(registry);
  }

  private Counter counter(MeterRegistry registry, String result) {
    return Counter.builder("ledgerline.cache.reads").description("reads by the layer that answered: l1, l2 or miss")
        .tag("cache", name).tag("result", result).register(registry);
  }

  private long l1Nanos(Stored<V> s) {
    long left = Math.min(s.entry().expiresAt() - clock.getAsLong(), settings.l1Ttl().toMillis());
    return TimeUnit.MILLISECONDS.toNanos(Math.max(0, left));
  }

  /** Applies new sizes and TTLs; entries already stored keep their expiry. */
  public void update(Settings s) {
    this.settings = s;
    l1.policy().eviction().ifPresent(e -> e.setMaximum(s.l1MaxEntries()));
  }

  public Settings settings() {
    return settings;
  }

  /** This node's L1 entry for a key if it is still fresh; never asks Redis or the loader. */
  public Entry<V> peek(String key) {
    Stored<V> s = l1.getIfPresent(key);
    return s != null && s.entry().expiresAt() > clock.getAsLong() ? s.entry().from(Source.L1) : null;
  }

  /**
   * The entry for {@code key}: from L1, L2 or {@code loader}, whose null value means "absent" and is not cached.
   * The future completes on the caller's context.
   *
   * @param tags stored with the entry, for {@link #invalidateTag}
   */
  public Future<Entry<V>> get(String key, List<String> tags, Supplier<Future<V>> loader) {
    Entry<V> hit = peek(key);
    if (hit != null) {
      l1Hits.increment();
      return Future.succeededFuture(hit);
    }
    return onCallerContext(load(key, tags, loader, true));
  }

  /**
   * Asks the loader and stores its answer in both layers, skipping L2 on the way in: a read-through for callers that
   * must see the source's current value. Misses that arrive while it runs share its answer.
   */
  public Future<Entry<V>> reload(String key, List<String> tags, Supplier<Future<V>> loader) {
    return onCallerContext(load(key, tags, loader, false));
  }

  private Future<Entry<V>> load(String key, List<String> tags, Supplier<Future<V>> loader, boolean readL2) {
    // An entry's store time is when its load was asked for, before its L2 read: the value is at least that recent.
    // Not when its loader runs: a multi-get's loaders share one source read, begun by the first of them to run.
    long asked = clock.getAsLong();
    Promise<Entry<V>> mine = Promise.promise();
    if (readL2) {
      Promise<Entry<V>> running = inflight.putIfAbsent(key, mine);
      if (running != null) {
        return running.future();
      }
    } else {
      // A read-through never joins a load that started before it (that load may predate the caller's own write);
      // it takes the key's place, so that the older load stores nothing and later misses join this one.
      inflight.put(key, mine);
    }
    Future<Entry<V>> fromL2 = readL2 ? readL2(key) : Future.succeededFuture(null);
    fromL2.compose(found -> {
      if (found != null && !olderThanDrop(key, found)) {
        l2Hits.increment();
        return Future.succeededFuture(found);
      }
      misses.increment();
      loads.increment();
      Future<V> loaded;
      try {
        loaded = loader.get();
      } catch (RuntimeException e) {
        loaded = Future.failedFuture(e);
      }
      return loaded.map(v -> v == null ? null
          : new Entry<>(v, asked, clock.getAsLong() + settings.l2Ttl().toMillis(), Source.LOAD));
    }).onComplete(ar -> {
      // Stored only if no invalidation removed this load meanwhile.
      if (inflight.remove(key, mine) && ar.succeeded() && ar.result() != null) {
        storeL1(key, tags, ar.result());
        if (ar.result().source() == Source.LOAD) {
          writeL2(key, tags, ar.result());
        }
      }
      mine.handle(ar);
    });
    return mine.future();
  }

  /**
   * An L2 entry whose load began before this node last dropped the key. Another node's load that was under way when
   * a write committed may store its older answer in L2 after that write's delete, before that node hears of the
   * write; taken into L1 here it would outlive every drop of this write. Such an entry is a miss instead (within the
   * nodes' clock skew: the store time is the loading node's clock). Entries a write-through stored are not guarded:
   * their drop is no invalidation.
   */
  private boolean olderThanDrop(String key, Entry<V> found) {
    Long at = dropped.getIfPresent(key);
    return at != null && found.storedAt() < at;
  }

  /**
   * Stores a value in both layers (write-through), fresh for the L2 TTL from now; every other node drops the key from
   * its L1, so that its next read finds this value in L2.
   */
  public Future<Void> set(String key, List<String> tags, V value) {
    long now = clock.getAsLong();
    Entry<V> e = new Entry<>(value, now, now + settings.l2Ttl().toMillis(), Source.LOAD);
    inflight.remove(key);
    storeL1(key, tags, e);
    // The other nodes drop their copy once L2 holds the new value: dropped earlier, a read could refill it from L2.
    return writeL2(key, tags, e).onComplete(ar -> vertx.eventBus().publish(INVALIDATE_ADDRESS,
        keysMessage(List.of(key)).put("written", true)));
  }

  /**
   * Drops keys from this node's L1 at once and from L2; once L2 answered, from this node's L1 again and from every
   * other node's by publish. A read between an L1 drop and the L2 delete could refill L1 from L2's old copy for a
   * whole TTL: the drop after the delete removes such a copy (and stops any load still running).
   */
  public Future<Void> invalidate(Collection<String> keys) {
    JsonObject msg = keysMessage(keys);
    return invalidateHere(keys).onComplete(ar -> vertx.eventBus().publish(INVALIDATE_ADDRESS, msg));
  }

  private JsonObject keysMessage(Collection<String> keys) {
    return new JsonObject().put("cache", name).put("origin", origin).put("keys", new JsonArray(new ArrayList<>(keys)));
  }

  /** Drops every entry stored with {@code tag}: in every node's L1 and, through the tag's Redis set, in L2. */
  public Future<Void> invalidateTag(String tag) {
    JsonObject msg = new JsonObject().put("cache", name).put("origin", origin).put("tag", tag);
    dropLocal(msg);
    // As for keys: the L1 drops that count come after L2's.
    return dropTagL2(tag).onComplete(ar -> {
      dropLocal(msg);
      vertx.eventBus().publish(INVALIDATE_ADDRESS, msg);
    });
  }

  private Future<Void> dropTagL2(String tag) {
    if (redis == null || lostWhileDegraded(List.of(), List.of(tag))) {
      return Future.succeededFuture();
    }
    return call(Request.cmd(Command.EVAL).arg(DROP_TAG).arg(1).arg(tagKey(tag))).<Void>mapEmpty()
        .recover(e -> {
          lost(List.of(), List.of(tag));
          return Future.succeededFuture();
        });
  }

  /**
   * Drops keys from this node's L1 and from L2, then from this node's L1 again once L2 answered (see
   * {@link #invalidate}); no publish: each node hears the same event itself.
   */
  public Future<Void> invalidateHere(Collection<String> keys) {
    JsonObject msg = new JsonObject().put("cache", name).put("keys", new JsonArray(new ArrayList<>(keys)));
    dropLocal(msg);
    return invalidateL2(keys).onComplete(ar -> dropLocal(msg));
  }

  /**
   * Drops keys from L2 only; a delete Redis misses is remembered and done when Redis answers again. On an event loop,
   * the calls of one tick travel as one DEL (the writes a ledger reply answers together drop their balances
   * together: one Redis round trip instead of one per request); each call completes when that DEL answered, so a
   * caller that waits still reads its own write afterwards.
   */
  public Future<Void> invalidateL2(Collection<String> keys) {
    if (redis == null || keys.isEmpty()) {
      return Future.succeededFuture();
    }
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      return deleteL2(keys);
    }
    TickDeletes tick = tickDeletes.get(context);
    if (tick == null) {
      TickDeletes fresh = new TickDeletes();
      tickDeletes.put(context, fresh);
      context.runOnContext(v -> {
        tickDeletes.remove(context);
        deleteL2(fresh.keys).onComplete(fresh.done);
      });
      tick = fresh;
    }
    tick.keys.addAll(keys);
    return tick.done.future();
  }

  /** The keys of one event loop's tick, and the callers' shared completion. */
  private static final class TickDeletes {
    final Set<String> keys = new LinkedHashSet<>();
    final Promise<Void> done = Promise.promise();
  }

  private Future<Void> deleteL2(Collection<String> keys) {
    List<String> full = new ArrayList<>(keys.size());
    keys.forEach(k -> full.add(prefix + k));
    if (lostWhileDegraded(full, List.of())) {
      return Future.succeededFuture();
    }
    Request del = Request.cmd(Command.DEL);
    full.forEach(del::arg);
    return call(del).<Void>mapEmpty().recover(e -> {
      lost(full, List.of());
      return Future.succeededFuture();
    });
  }

  /** While degraded, an invalidation is only remembered (nothing waits on Redis); true when it was. */
  private synchronized boolean lostWhileDegraded(Collection<String> keys, Collection<String> tags) {
    if (!degraded) {
      return false;
    }
    lost(keys, tags);
    return true;
  }

  private synchronized void lost(Collection<String> keys, Collection<String> tags) {
    if (lost.add(keys, tags)) {
      LOG.warn("cache {}: more than {} invalidations lost while Redis is away; the rest expire with the L2 TTL",
          name, MAX_LOST);
    }
  }

  /**
   * While degraded: asks Redis every {@link #PROBE_MS} ms; once it answers, flushes the lost invalidations, then L2
   * is used again.
   */
  private void probe() {
    if (closed) {
      return;
    }
    vertx.setTimer(PROBE_MS, t -> redis.send(Request.cmd(Command.PING))
        .timeout(settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .compose(pong -> flushLost())
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result()) {
            synchronized (this) {
              probing = false;
            }
            LOG.info("cache {}: Redis reachable again", name);
          } else {
            if (ar.failed()) {
              lastError = String.valueOf(ar.cause().getMessage());
            }
            probe();
          }
        }));
  }

  /**
   * Drops the lost keys and tags from L2, one chunk at a time; true once none is left, when the cache leaves the
   * degraded state (in the same step, so that no invalidation slips between the last chunk and the switch).
   */
  private Future<Boolean> flushLost() {
    LostInvalidations.Chunk chunk;
    synchronized (this) {
      chunk = lost.take(FLUSH_CHUNK);
      if (chunk == null) {
        degraded = false;
        return Future.succeededFuture(true);
      }
    }
    List<String> keys = chunk.keys();
    List<String> tags = chunk.tags();
    List<Request> batch = new ArrayList<>();
    if (!keys.isEmpty()) {
      Request del = Request.cmd(Command.DEL);
      keys.forEach(del::arg);
      batch.add(del);
    }
    for (String t : tags) {
      batch.add(Request.cmd(Command.EVAL).arg(DROP_TAG).arg(1).arg(tagKey(t)));
    }
    return redis.batch(batch).timeout(settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .transform(ar -> {
          if (ar.failed()) {
            lost(keys, tags);
            return Future.failedFuture(ar.cause());
          }
          flushed.increment(keys.size() + tags.size());
          LOG.info("cache {}: dropped {} keys and {} tags from L2 whose invalidation Redis missed", name, keys.size(),
              tags.size());
          return flushLost();
        });
  }

  private void dropLocal(JsonObject msg) {
    JsonArray keys = msg.getJsonArray("keys");
    if (keys != null) {
      boolean invalidation = !msg.getBoolean("written", false);
      long now = clock.getAsLong();
      for (Object k : keys) {
        inflight.remove((String) k);
        l1.invalidate((String) k);
        if (invalidation) dropped.put((String) k, now);
      }
    }
    String tag = msg.getString("tag");
    if (tag != null) {
      Set<String> tagged = tagIndex.remove(tag);
      if (tagged != null) {
        for (String k : tagged) {
          inflight.remove(k);
          l1.invalidate(k);
        }
      }
    }
  }

  private void storeL1(String key, List<String> tags, Entry<V> e) {
    for (String t : tags) {
      tagIndex.computeIfAbsent(t, x -> ConcurrentHashMap.newKeySet()).add(key);
    }
    l1.put(key, new Stored<>(e.from(Source.L1), List.copyOf(tags)));
  }

  private void untag(String key, List<String> tags) {
    for (String t : tags) {
      tagIndex.computeIfPresent(t, (x, set) -> {
        set.remove(key);
        return set.isEmpty() ? null : set;
      });
    }
  }

  private Future<Entry<V>> readL2(String key) {
    if (redis == null || degraded) {
      return Future.succeededFuture(null);
    }
    return call(Request.cmd(Command.GET).arg(prefix + key)).transform(ar -> {
      if (ar.failed() || ar.result() == null) {
        return Future.succeededFuture(null);
      }
      Entry<V> e = decode(ar.result().toBytes());
      if (e == null) {
        poisoned.increment();
        LOG.warn("cache {}: undecodable L2 value for key {}; deleted", name, key);
        call(Request.cmd(Command.DEL).arg(prefix + key));
        return Future.succeededFuture(null);
      }
      return Future.succeededFuture(e.expiresAt() > clock.getAsLong() ? e : null);
    });
  }

  private Future<Void> writeL2(String key, List<String> tags, Entry<V> e) {
    if (redis == null || degraded) {
      return Future.succeededFuture();
    }
    long px = e.expiresAt() - clock.getAsLong();
    if (px <= 0) {
      return Future.succeededFuture();
    }
    byte[] body = codec.encode(e.value());
    ByteBuffer b = ByteBuffer.allocate(HEADER + body.length);
    b.put(FORMAT).putLong(e.storedAt()).putLong(e.expiresAt()).put(body);
    List<Request> batch = new ArrayList<>();
    batch.add(Request.cmd(Command.SET).arg(prefix + key).arg(Buffer.buffer(b.array())).arg("PX").arg(px));
    for (String t : tags) {
      // The set outlives its members by at most one L2 TTL.
      batch.add(Request.cmd(Command.SADD).arg(tagKey(t)).arg(prefix + key));
      batch.add(Request.cmd(Command.PEXPIRE).arg(tagKey(t)).arg(settings.l2Ttl().toMillis()));
    }
    return within(redis.batch(batch)).<Void>mapEmpty().otherwiseEmpty();
  }

  private Entry<V> decode(byte[] bytes) {
    try {
      if (bytes.length < HEADER || bytes[0] != FORMAT) {
        return null;
      }
      ByteBuffer b = ByteBuffer.wrap(bytes);
      b.get();
      long stored = b.getLong();
      long expires = b.getLong();
      byte[] body = new byte[bytes.length - HEADER];
      b.get(body);
      V v = codec.decode(body);
      return v == null ? null : new Entry<>(v, stored, expires, Source.L2);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private String tagKey(String tag) {
    return prefix + "tag:" + tag;
  }

  private Future<Response> call(Request r) {
    return within(redis.send(r));
  }

  private <T> Future<T> within(Future<T> op) {
    return op.timeout(settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS).andThen(ar -> {
      if (ar.failed()) {
        redisErrors.increment();
        lastError = String.valueOf(ar.cause().getMessage());
        degrade(ar.cause());
      }
    });
  }

  /** Stops using L2 until the probe finds Redis again and has flushed what was lost meanwhile. */
  private void degrade(Throwable cause) {
    boolean start;
    synchronized (this) {
      if (!degraded) {
        LOG.warn("cache {}: Redis unavailable ({}); serving from memory and the source", name, cause.toString());
      }
      degraded = true;
      start = !probing;
      probing = true;
    }
    if (start) {
      probe();
    }
  }

  /** Completes the caller's future on the caller's own context (loads may finish on another event loop). */
  private static <T> Future<T> onCallerContext(Future<T> f) {
    Context ctx = Vertx.currentContext();
    if (ctx == null) {
      return f;
    }
    Promise<T> p = Promise.promise();
    f.onComplete((AsyncResult<T> ar) -> {
      if (Vertx.currentContext() == ctx) {
        p.handle(ar);
      } else {
        ctx.runOnContext(v -> p.handle(ar));
      }
    });
    return p.future();
  }

  /** Whether the last Redis call failed: L1 and the source still serve. */
  public boolean degraded() {
    return degraded;
  }

  public JsonObject health() {
    JsonObject j = new JsonObject().put("l2", redis == null ? "none" : "redis").put("degraded", degraded)
        .put("l1_entries", l1.estimatedSize());
    if (degraded) {
      int count;
      synchronized (this) {
        count = lost.size();
      }
      j.put("error", lastError).put("lost_invalidations", count);
    }
    return j;
  }

  /** Stops hearing other nodes' invalidations. */
  public Future<Void> close() {
    closed = true;
    return consumer.unregister();
  }
}
