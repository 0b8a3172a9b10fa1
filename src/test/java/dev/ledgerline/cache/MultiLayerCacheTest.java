package dev.ledgerline.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.cache.MultiLayerCache.Entry;
import dev.ledgerline.cache.MultiLayerCache.Settings;
import dev.ledgerline.cache.MultiLayerCache.Source;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The two layers against a real Redis that tests stop, poison and inspect. */
class MultiLayerCacheTest {
  private static final MultiLayerCache.Codec<String> TEXT = new MultiLayerCache.Codec<>() {
    @Override
    public byte[] encode(String v) {
      return v.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] b) {
      String s = new String(b, StandardCharsets.UTF_8);
      if (!s.startsWith("v")) {
        throw new IllegalArgumentException("not a value: " + s);
      }
      return s;
    }
  };
  private static final Settings SETTINGS = new Settings(1000, Duration.ofSeconds(60), Duration.ofSeconds(300),
      Duration.ofSeconds(5));

  private TestRedis redis;
  private Vertx vertx;
  private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<MultiLayerCache<String>> caches = new ArrayList<>();

  @BeforeEach
  void start() {
    redis = TestRedis.start();
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
    redis.close();
  }

  /** One node's cache; nodes made here share one event bus, as a cluster's nodes do. */
  private MultiLayerCache<String> node(Settings s) {
    MultiLayerCache<String> c = new MultiLayerCache<>(vertx, redis.client(vertx), "test", TEXT, s, registry,
        now::get);
    caches.add(c);
    return c;
  }

  private Response redis(Request r) {
    return redis.client(vertx).send(r).await();
  }

  /** A read of "k" whose load waits for {@code value}, once that load has started (counted in {@code calls}). */
  private static Future<Entry<String>> loadStarted(MultiLayerCache<String> cache, Promise<String> value,
      AtomicInteger calls) {
    Future<Entry<String>> read = cache.get("k", List.of(), () -> {
      calls.incrementAndGet();
      return value.future();
    });
    Poll.until(Duration.ofSeconds(5), "the load starts", () -> calls.get() == 1);
    return read;
  }

  private static java.util.function.Supplier<Future<String>> counting(AtomicInteger calls, String value) {
    return () -> {
      calls.incrementAndGet();
      return Future.succeededFuture(value);
    };
  }

  @Test
  void readsL1ThenL2ThenTheLoaderAndFillsTheUpperLayers() {
    MultiLayerCache<String> a = node(SETTINGS);
    MultiLayerCache<String> b = node(SETTINGS);
    AtomicInteger calls = new AtomicInteger();

    Entry<String> first = a.get("k", List.of(), counting(calls, "v1")).await();
    assertThat(first.source()).isEqualTo(Source.LOAD);
    assertThat(first.value()).isEqualTo("v1");
    assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:k")).toInteger()).isEqualTo(1);
    assertThat(redis(Request.cmd(Command.PTTL).arg("ll:cache:test:k")).toLong()).isBetween(290_000L, 300_000L);

    assertThat(a.get("k", List.of(), counting(calls, "other")).await().source()).isEqualTo(Source.L1);
    // Another node misses L1, finds L2, and keeps it in its own L1 with the original store time.
    now.addAndGet(5_000);
    Entry<String> fromL2 = b.get("k", List.of(), counting(calls, "other")).await();
    assertThat(fromL2.source()).isEqualTo(Source.L2);
    assertThat(fromL2.value()).isEqualTo("v1");
    assertThat(fromL2.ageMillis(now.get())).isEqualTo(5_000);
    assertThat(b.get("k", List.of(), counting(calls, "other")).await().source()).isEqualTo(Source.L1);
    assertThat(calls).hasValue(1);
  }

  @Test
  void anEntryExpiresFromL1AfterItsTtlAndFromL2AfterItsOwn() {
    MultiLayerCache<String> a = node(new Settings(1000, Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(5)));
    AtomicInteger calls = new AtomicInteger();
    a.get("k", List.of(), counting(calls, "v1")).await();
    now.addAndGet(11_000);
    assertThat(a.peek("k")).isNull();
    assertThat(a.get("k", List.of(), counting(calls, "v2")).await().source()).isEqualTo(Source.L2);
    now.addAndGet(20_000);
    Entry<String> again = a.get("k", List.of(), counting(calls, "v2")).await();
    assertThat(again.source()).isEqualTo(Source.LOAD);
    assertThat(again.value()).isEqualTo("v2");
  }

  @Test
  void aThousandConcurrentMissesOnOneKeyMakeOneLoad() {
    MultiLayerCache<String> a = node(SETTINGS);
    AtomicInteger calls = new AtomicInteger();
    Promise<String> slow = Promise.promise();
    List<Future<Entry<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      answers.add(a.get("hot", List.of(), () -> {
        calls.incrementAndGet();
        return slow.future();
      }));
    }
    Poll.until(Duration.ofSeconds(10), "the one load starts", () -> calls.get() == 1);
    slow.complete("v-hot");
    Future.all(answers).await();
    assertThat(calls).hasValue(1);
    assertThat(answers).allSatisfy(f -> assertThat(f.result().value()).isEqualTo("v-hot"));
  }

  @Test
  void concurrentMissesFromManyEventLoopsMakeOneLoadAndAnswerOnTheirOwnContext() {
    MultiLayerCache<String> a = node(SETTINGS);
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger wrongContext = new AtomicInteger();
    Promise<String> slow = Promise.promise();
    List<Future<String>> answers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Promise<String> done = Promise.promise();
      answers.add(done.future());
      vertx.runOnContext(v -> {
        io.vertx.core.Context mine = Vertx.currentContext();
        a.get("hot", List.of(), () -> {
          calls.incrementAndGet();
          return slow.future();
        }).onComplete(ar -> {
          if (Vertx.currentContext() != mine) {
            wrongContext.incrementAndGet();
          }
          done.handle(ar.map(Entry::value));
        });
      });
    }
    Poll.until(Duration.ofSeconds(10), "the one load starts", () -> calls.get() == 1);
    slow.complete("v");
    Future.all(answers).await();
    assertThat(calls).hasValue(1);
    assertThat(wrongContext).hasValue(0);
  }

  @Test
  void invalidatingAKeyDropsItOnEveryNodeAndInRedis() {
    MultiLayerCache<String> a = node(SETTINGS);
    MultiLayerCache<String> b = node(SETTINGS);
    AtomicInteger calls = new AtomicInteger();
    a.get("k", List.of(), counting(calls, "v1")).await();
    b.get("k", List.of(), counting(calls, "v1")).await();
    assertThat(b.peek("k")).isNotNull();

    a.invalidate(List.of("k")).await();
    assertThat(a.peek("k")).isNull();
    Poll.until(Duration.ofSeconds(5), "the other node drops its L1 entry", () -> b.peek("k") == null);
    assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:k")).toInteger()).isZero();
    assertThat(b.get("k", List.of(), counting(calls, "v2")).await().value()).isEqualTo("v2");
  }

  /** The L2 deletes one event loop asks for within one tick travel as one DEL, and each caller hears of it. */
  @Test
  void theL2DeletesOfOneTickAreOneDel() throws Exception {
    MultiLayerCache<String> a = node(SETTINGS);
    AtomicInteger calls = new AtomicInteger();
    for (String k : List.of("k1", "k2", "k3")) a.get(k, List.of(), counting(calls, "v" + k)).await();
    long before = dels();
    Context loop = vertx.getOrCreateContext();
    CompletableFuture<List<Future<Void>>> asked = new CompletableFuture<>();
    loop.runOnContext(v -> asked.complete(List.of(a.invalidateL2(List.of("k1")), a.invalidateL2(List.of("k2", "k1")),
        a.invalidateL2(List.of("k3")))));
    Future.all(asked.get(10, TimeUnit.SECONDS)).await();
    assertThat(dels() - before).isEqualTo(1);
    for (String k : List.of("k1", "k2", "k3")) {
      assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:" + k)).toInteger()).as(k).isZero();
    }
    // Off an event loop (here: the test's thread) a call is its own DEL.
    a.invalidateL2(List.of("k1")).await();
    assertThat(dels() - before).isEqualTo(2);
  }

  /**
   * A read between an L1 drop and the L2 delete finds L2's old copy and would keep it in L1 for a whole TTL: the drop
   * repeated once the delete answered removes it (or stops the load, whichever answers first).
   */
  @Test
  void aReadBetweenTheL1DropAndTheL2DeleteLeavesNoOldCopyInL1() throws Exception {
    MultiLayerCache<String> a = node(SETTINGS);
    AtomicInteger calls = new AtomicInteger();
    a.get("k", List.of(), counting(calls, "v1")).await();
    Context loop = vertx.getOrCreateContext();
    CompletableFuture<List<Future<?>>> asked = new CompletableFuture<>();
    loop.runOnContext(v -> {
      Future<Void> dropped = a.invalidateHere(List.of("k"));
      // Same tick: the L1 entry is gone and the DEL has not left yet, so this read asks L2 first.
      asked.complete(List.of(dropped, a.get("k", List.of(), counting(calls, "v2"))));
    });
    Future.all(asked.get(10, TimeUnit.SECONDS)).await();
    assertThat(a.peek("k")).isNull();
    // No old copy in L2 either. The read may have missed L2 and loaded the new value, which it may store there: the
    // GET and the DEL go out on pooled connections, in either order.
    Response stored = redis(Request.cmd(Command.GET).arg("ll:cache:test:k"));
    assertThat(stored == null || stored.toString(StandardCharsets.UTF_8).endsWith("v2")).as("L2 holds %s", stored)
        .isTrue();
    assertThat(a.get("k", List.of(), counting(calls, "v2")).await().value()).isEqualTo("v2");
  }

  /**
   * The cache-aside race across nodes: b's load began before a write, a dropped the key (its write's invalidation,
   * which b has not heard yet), then b stored its older answer in L2. a does not take that entry into its L1, where
   * no later drop of this write would remove it, but loads the key again; an entry whose load began after the drop is
   * taken as before.
   */
  @Test
  void anL2EntryLoadedBeforeThisNodesLastDropIsAMissHere() {
    MultiLayerCache<String> a = node(SETTINGS);
    MultiLayerCache<String> b = node(SETTINGS);
    MultiLayerCache<String> d = node(SETTINGS);
    Promise<String> slow = Promise.promise();
    AtomicInteger calls = new AtomicInteger();
    Future<Entry<String>> old = loadStarted(b, slow, calls);
    now.addAndGet(5);
    a.invalidateHere(List.of("k")).await();
    d.invalidateHere(List.of("k")).await();
    now.addAndGet(5);
    slow.complete("v-before-the-write");
    assertThat(old.await().value()).isEqualTo("v-before-the-write");
    Poll.until(Duration.ofSeconds(5), "b's answer is in L2",
        () -> redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:k")).toInteger() == 1);

    Entry<String> read = a.get("k", List.of(), counting(calls, "v-after-the-write")).await();
    assertThat(read.value()).isEqualTo("v-after-the-write");
    assertThat(read.source()).isEqualTo(Source.LOAD);
    // a's entry began loading after the drop: another node that dropped the key at the same time takes it from L2.
    Poll.until(Duration.ofSeconds(5), "a's answer is in L2", () -> {
      Response stored = redis(Request.cmd(Command.GET).arg("ll:cache:test:k"));
      return stored != null && stored.toString(StandardCharsets.UTF_8).endsWith("v-after-the-write");
    });
    Entry<String> fromL2 = d.get("k", List.of(), counting(calls, "unused")).await();
    assertThat(fromL2.source()).isEqualTo(Source.L2);
    assertThat(fromL2.value()).isEqualTo("v-after-the-write");
    assertThat(calls).hasValue(2);
  }

  @Test
  void anEntrysStoreTimeIsWhenItsLoadWasAskedForNotWhenItsLoaderRan() {
    MultiLayerCache<String> b = node(SETTINGS);
    long asked = now.get();
    Promise<Future<Entry<String>>> started = Promise.promise();
    vertx.runOnContext(v -> {
      started.complete(b.get("k", List.of(), () -> Future.succeededFuture("v-loaded")));
      // The clock moves on while the key's L2 read is under way, before its loader runs; a multi-get's loaders share
      // one source read, begun by whichever ran first, so only the time of the ask bounds the value's age.
      now.addAndGet(5);
    });
    Entry<String> e = started.future().await().await();
    assertThat(e.source()).isEqualTo(Source.LOAD);
    assertThat(e.storedAt()).isEqualTo(asked);
  }

  private long dels() {
    for (String line : redis(Request.cmd(Command.INFO).arg("commandstats")).toString().split("\r?\n")) {
      if (line.startsWith("cmdstat_del:")) {
        return Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
      }
    }
    return 0;
  }

  @Test
  void invalidatingATagDropsItsKeysEverywhereWithoutScanningRedis() {
    MultiLayerCache<String> a = node(SETTINGS);
    MultiLayerCache<String> b = node(SETTINGS);
    AtomicInteger calls = new AtomicInteger();
    a.get("k1", List.of("user:1"), counting(calls, "v1")).await();
    a.get("k2", List.of("user:1", "all"), counting(calls, "v2")).await();
    a.get("k3", List.of("user:2"), counting(calls, "v3")).await();
    b.get("k1", List.of("user:1"), counting(calls, "x")).await();
    assertThat(redis(Request.cmd(Command.SMEMBERS).arg("ll:cache:test:tag:user:1")).size()).isEqualTo(2);

    a.invalidateTag("user:1").await();
    assertThat(a.peek("k1")).isNull();
    assertThat(a.peek("k2")).isNull();
    assertThat(a.peek("k3")).isNotNull();
    Poll.until(Duration.ofSeconds(5), "the other node drops the tag's entries", () -> b.peek("k1") == null);
    assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:k1").arg("ll:cache:test:k2")
        .arg("ll:cache:test:tag:user:1")).toInteger()).isZero();
    assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:k3")).toInteger()).isEqualTo(1);
  }

  @Test
  void aLoadInFlightWhenItsKeyIsInvalidatedAnswersButStoresNothing() {
    MultiLayerCache<String> a = node(SETTINGS);
    Promise<String> slow = Promise.promise();
    AtomicInteger calls = new AtomicInteger();
    Future<Entry<String>> stale = loadStarted(a, slow, calls);
    a.invalidate(List.of("k")).await();
    slow.complete("v-before-the-write");
    assertThat(stale.await().value()).isEqualTo("v-before-the-write");
    assertThat(a.peek("k")).isNull();
    assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:k")).toInteger()).isZero();
  }

  @Test
  void aReadThroughNeverJoinsALoadThatStartedBeforeIt() {
    MultiLayerCache<String> a = node(SETTINGS);
    Promise<String> older = Promise.promise();
    AtomicInteger calls = new AtomicInteger();
    Future<Entry<String>> first = a.get("k", List.of(), () -> {
      calls.incrementAndGet();
      return older.future();
    });
    Poll.until(Duration.ofSeconds(5), "the first load asks the source", () -> calls.get() == 1);
    Future<Entry<String>> through = a.reload("k", List.of(), counting(calls, "v-after-the-write"));
    assertThat(through.await().value()).isEqualTo("v-after-the-write");
    older.complete("v-before-the-write");
    assertThat(first.await().value()).isEqualTo("v-before-the-write");
    assertThat(calls).hasValue(2);
    assertThat(a.peek("k").value()).as("the older load stores nothing").isEqualTo("v-after-the-write");
  }

  @Test
  void anUndecodableL2ValueIsAMissAndIsDeleted() {
    MultiLayerCache<String> a = node(SETTINGS);
    redis(Request.cmd(Command.SET).arg("ll:cache:test:k").arg("garbage"));
    AtomicInteger calls = new AtomicInteger();
    Entry<String> e = a.get("k", List.of(), counting(calls, "v1")).await();
    assertThat(e.source()).isEqualTo(Source.LOAD);
    assertThat(e.value()).isEqualTo("v1");
    assertThat(registry.counter("ledgerline.cache.l2.undecodable", "cache", "test").count()).isEqualTo(1.0);
    // The right format around a body the codec refuses is undecodable too.
    MultiLayerCache<String> b = node(SETTINGS);
    byte[] body = "bad".getBytes(StandardCharsets.UTF_8);
    java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(17 + body.length).put((byte) 1).putLong(now.get())
        .putLong(now.get() + 60_000).put(body);
    redis(Request.cmd(Command.SET).arg("ll:cache:test:j").arg(io.vertx.core.buffer.Buffer.buffer(raw.array())));
    assertThat(b.get("j", List.of(), counting(calls, "v2")).await().source()).isEqualTo(Source.LOAD);
    assertThat(registry.counter("ledgerline.cache.l2.undecodable", "cache", "test").count()).isEqualTo(2.0);
    // The fill-back to L2 is written after the answer: wait for it rather than race it.
    Poll.until(Duration.ofSeconds(5), "the fresh value replaces the undecodable one in L2", () -> {
      Response stored = redis(Request.cmd(Command.GET).arg("ll:cache:test:j"));
      return stored != null && stored.toString().endsWith("v2");
    });
  }

  @Test
  void withRedisDownL1AndTheLoaderServeWithinTheCommandTimeoutAndTheCacheSaysDegraded() {
    MultiLayerCache<String> a = node(new Settings(1000, Duration.ofSeconds(60), Duration.ofSeconds(300),
        Duration.ofMillis(300)));
    AtomicInteger calls = new AtomicInteger();
    a.get("cached", List.of(), counting(calls, "v0")).await();
    redis.stop();

    long t0 = System.nanoTime();
    Entry<String> e = a.get("k", List.of(), counting(calls, "v1")).await();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(e.value()).isEqualTo("v1");
    assertThat(e.source()).isEqualTo(Source.LOAD);
    assertThat(ms).as("one bounded L2 read, then the loader").isLessThan(2_000);
    assertThat(a.degraded()).isTrue();
    assertThat(a.health().getBoolean("degraded")).isTrue();
    assertThat(a.get("cached", List.of(), counting(calls, "x")).await().source()).isEqualTo(Source.L1);
    assertThat(a.get("k", List.of(), counting(calls, "x")).await().source()).isEqualTo(Source.L1);
    a.invalidate(List.of("cached")).await();
    assertThat(a.peek("cached")).isNull();

    redis.restart();
    Poll.until(Duration.ofSeconds(10), "the cache uses Redis again", () -> {
      a.get("again-" + calls.incrementAndGet(), List.of(), counting(calls, "v")).await();
      return !a.degraded();
    });
  }

  @Test
  void invalidationsLostWhileRedisIsAwayAreFlushedFromL2WhenItReturnsWithItsData() {
    MultiLayerCache<String> a = node(new Settings(1000, Duration.ofSeconds(60), Duration.ofSeconds(300),
        Duration.ofSeconds(1)));
    AtomicInteger calls = new AtomicInteger();
    a.get("k", List.of(), counting(calls, "v-before-the-write")).await();
    a.get("t", List.of("group"), counting(calls, "v-tagged-before-the-write")).await();
    a.get("untouched", List.of(), counting(calls, "v-still-good")).await();
    Poll.until(Duration.ofSeconds(5), "the three entries are in L2", () -> redis(Request.cmd(Command.EXISTS)
        .arg("ll:cache:test:k").arg("ll:cache:test:t").arg("ll:cache:test:untouched")).toInteger() == 3);
    // A Redis with persistence: what it holds now comes back when it restarts.
    redis(Request.cmd(Command.SAVE));
    redis.stop();

    a.invalidate(List.of("k")).await();
    assertThat(a.degraded()).isTrue();
    long t0 = System.nanoTime();
    a.invalidateTag("group").await();
    assertThat((System.nanoTime() - t0) / 1_000_000).as("degraded: remembered without waiting on Redis")
        .isLessThan(200);
    assertThat(a.health().getInteger("lost_invalidations")).isEqualTo(2);

    redis.restart();
    assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:k")).toInteger())
        .as("the restarted Redis holds the entry whose invalidation it missed").isEqualTo(1);
    Poll.until(Duration.ofSeconds(10), "the cache uses Redis again", () -> !a.degraded());
    assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:k").arg("ll:cache:test:t")
        .arg("ll:cache:test:tag:group")).toInteger()).as("flushed before L2 is read again").isZero();
    assertThat(redis(Request.cmd(Command.EXISTS).arg("ll:cache:test:untouched")).toInteger()).isEqualTo(1);
    assertThat(registry.counter("ledgerline.cache.l2.flushed", "cache", "test").count()).isEqualTo(2.0);
    MultiLayerCache<String> b = node(SETTINGS);
    assertThat(b.get("k", List.of(), counting(calls, "v-after-the-write")).await().value())
        .isEqualTo("v-after-the-write");
    assertThat(b.get("untouched", List.of(), counting(calls, "v-x")).await().source()).isEqualTo(Source.L2);
  }

  @Test
  void sizesAndTtlsAreReloadable() {
    MultiLayerCache<String> a = node(SETTINGS);
    AtomicInteger calls = new AtomicInteger();
    a.update(new Settings(1000, Duration.ofSeconds(60), Duration.ofSeconds(20), Duration.ofSeconds(5)));
    Entry<String> e = a.get("k", List.of(), counting(calls, "v1")).await();
    assertThat(e.remainingMillis(now.get())).isEqualTo(20_000);
    assertThat(redis(Request.cmd(Command.PTTL).arg("ll:cache:test:k")).toLong()).isBetween(10_000L, 20_000L);
    assertThat(a.settings().l2Ttl()).isEqualTo(Duration.ofSeconds(20));
  }
}
