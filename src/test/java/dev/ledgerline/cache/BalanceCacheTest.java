package dev.ledgerline.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.cache.BalanceCache.Answer;
import dev.ledgerline.cache.BalanceCache.Balance;
import dev.ledgerline.cache.BalanceCache.Served;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.ledger.LedgerApi;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The balance cache over a ledger stand-in that counts and holds its lookups, with a real Redis (layer two and the
 * refresh lock) and a clock the tests move; caches made here share one event bus, as a cluster's nodes do.
 */
class BalanceCacheTest {
  private static final LedgerlineConfig.Cache SETTINGS = new LedgerlineConfig.Cache(1000, Duration.ofSeconds(60),
      Duration.ofSeconds(300), false, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5));
  private static final UInt128 ID = UInt128.of(42);

  private TestRedis redis;
  private Vertx vertx;
  private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicInteger lookups = new AtomicInteger();
  /** Lookups the test has not answered yet; empty means lookups answer at once. */
  private final ConcurrentLinkedQueue<Promise<Balance>> held = new ConcurrentLinkedQueue<>();
  private volatile boolean hold;
  private volatile boolean failing;
  private volatile long credits;
  private final List<BalanceCache> caches = new ArrayList<>();

  @BeforeEach
  void start() {
    redis = TestRedis.start();
    vertx = Vertx.vertx();
    LedgerApi.registerCodecs(vertx.eventBus());
  }

  @AfterEach
  void stop() {
    vertx.close().await();
    redis.close();
  }

  private BalanceCache node(String name) {
    BalanceCache c = new BalanceCache(vertx, redis.client(vertx), this::lookup, SETTINGS, Duration.ofSeconds(5),
        registry, name, now::get).start();
    caches.add(c);
    return c;
  }

  private Future<Balance> lookup(UInt128 id) {
    if (failing) {
      lookups.incrementAndGet();
      return Future.failedFuture(new IllegalStateException("ledger unavailable"));
    }
    Balance b = new Balance(new Account(id, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.of(credits),
        UInt128.ZERO, 0, 0, 0, 1, 1, 0, 1), 1000 + credits);
    if (hold) {
      // Queued before it is counted: a test that sees the count can take the held lookup at once.
      Promise<Balance> p = Promise.promise();
      held.add(p);
      lookups.incrementAndGet();
      return p.future();
    }
    lookups.incrementAndGet();
    return Future.succeededFuture(b);
  }

  private double refreshes(String result) {
    return registry.counter("ledgerline.cache.balance.refresh", "result", result).count();
  }

  @Test
  void aBalanceNearItsEndIsServedAndRefreshedInTheBackgroundOncePerWindow() {
    BalanceCache a = node("a");
    credits = 1;
    Answer first = a.get(ID, false).await();
    assertThat(first.served()).isEqualTo(Served.MISS);
    assertThat(first.freshMillis()).isEqualTo(30_000);
    assertThat(a.get(ID, false).await().served()).isEqualTo(Served.L1);
    assertThat(lookups).hasValue(1);

    now.addAndGet(21_000); // 9 s left, under refresh-ahead
    credits = 2;
    hold = true;
    Answer stale = a.get(ID, false).await();
    assertThat(stale.served()).as("answered at once, not after the refresh").isEqualTo(Served.REFRESH);
    assertThat(stale.balance().account().creditsPosted()).isEqualTo(UInt128.of(1));
    Poll.until(Duration.ofSeconds(5), "the refresh asks the ledger", () -> lookups.get() == 2);
    for (int i = 0; i < 20; i++) {
      Answer meanwhile = a.get(ID, false).await();
      assertThat(meanwhile.served()).isEqualTo(Served.L1);
      assertThat(meanwhile.balance().account().creditsPosted()).isEqualTo(UInt128.of(1));
    }
    assertThat(lookups).as("one refresh per window").hasValue(2);
    hold = false;
    held.poll().complete(new Balance(new Account(ID, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.of(2),
        UInt128.ZERO, 0, 0, 0, 1, 1, 0, 1), 1002));
    Poll.until(Duration.ofSeconds(5), "the refreshed balance is served",
        () -> a.get(ID, false).await().balance().version() == 1002);
    Answer fresh = a.get(ID, false).await();
    assertThat(fresh.served()).isEqualTo(Served.L1);
    assertThat(fresh.freshMillis()).isEqualTo(30_000);
    Poll.until(Duration.ofSeconds(5), "the refresh is counted", () -> refreshes("ok") == 1.0);
    assertThat(lookups).hasValue(2);
  }

  @Test
  void onlyOneNodeOfTheClusterRefreshesAKey() {
    BalanceCache a = node("a");
    BalanceCache b = node("b");
    a.get(ID, false).await();
    assertThat(b.get(ID, false).await().served()).isEqualTo(Served.L2);
    assertThat(lookups).hasValue(1);

    now.addAndGet(21_000);
    hold = true;
    assertThat(a.get(ID, false).await().served()).isEqualTo(Served.REFRESH);
    Poll.until(Duration.ofSeconds(5), "node a refreshes", () -> lookups.get() == 2);
    assertThat(b.get(ID, false).await().served()).isEqualTo(Served.REFRESH);
    Poll.until(Duration.ofSeconds(5), "node b finds the lock taken", () -> refreshes("elsewhere") == 1.0);
    assertThat(lookups).hasValue(2);
    held.poll().complete(new Balance(new Account(ID, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.of(5),
        UInt128.ZERO, 0, 0, 0, 1, 1, 0, 1), 1005));
    hold = false;
    Poll.until(Duration.ofSeconds(5), "node a's refresh reaches Redis", () -> {
      io.vertx.redis.client.Response r = redis.client(vertx).send(io.vertx.redis.client.Request
          .cmd(io.vertx.redis.client.Command.GET).arg("ll:cache:balance:42")).await();
      byte[] v = r.toBytes();
      return java.nio.ByteBuffer.wrap(v, v.length - 8, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong() == 1005;
    });
    // Node b keeps its own entry to its end, then reads the refreshed one from Redis.
    now.addAndGet(9_500);
    Answer later = b.get(ID, false).await();
    assertThat(later.served()).isEqualTo(Served.L2);
    assertThat(later.balance().version()).isEqualTo(1005);
    assertThat(lookups).hasValue(2);
  }

  @Test
  void aFailedRefreshKeepsTheOldBalanceUntilItsTtlAndIsCounted() {
    BalanceCache a = node("a");
    a.get(ID, false).await();
    now.addAndGet(25_000);
    failing = true;
    assertThat(a.get(ID, false).await().served()).isEqualTo(Served.REFRESH);
    Poll.until(Duration.ofSeconds(5), "the failure is counted", () -> refreshes("failed") == 1.0);
    Answer old = a.get(ID, false).await();
    assertThat(old.served()).isEqualTo(Served.L1);
    assertThat(old.ageMillis()).isEqualTo(25_000);
    now.addAndGet(5_001);
    assertThat(a.get(ID, false).transform(ar -> Future.succeededFuture(ar.failed())).await()).as("past its TTL the balance is no longer served; the ledger's failure is").isTrue();
  }

  /** A transfer into {@link #ID} that the ledger committed at {@code millis}. */
  private static Transfer committedAt(long id, long millis) {
    return new Transfer(UInt128.of(id), UInt128.of(43), ID, UInt128.of(9), UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, 0,
        millis * 1_000_000);
  }

  @Test
  void aBatchIsTimedFromItsOldestTransferAndAMinuteLateIsCountedApart() {
    node("a");
    long ms = now.get();
    Transfer fresh = committedAt(1, ms);
    Transfer older = committedAt(2, ms - 40);
    vertx.eventBus().publish(LedgerApi.TRANSFERS_COMMITTED,
        new LedgerApi.TransfersCommitted(List.of(fresh, older), List.of()));
    Poll.until(Duration.ofSeconds(5), "the batch is timed",
        () -> registry.timer("ledgerline.cache.invalidation.delay").count() == 1);
    assertThat(registry.timer("ledgerline.cache.invalidation.delay").max(TimeUnit.MILLISECONDS)).isEqualTo(40);

    Transfer stale = committedAt(3, ms - 61_000);
    vertx.eventBus().publish(LedgerApi.TRANSFERS_COMMITTED,
        new LedgerApi.TransfersCommitted(List.of(fresh, stale), List.of()));
    Poll.until(Duration.ofSeconds(5), "a minute late is counted",
        () -> registry.counter("ledgerline.cache.invalidation.late").count() == 1);
    assertThat(registry.timer("ledgerline.cache.invalidation.delay").count()).isEqualTo(1);
  }

  @Test
  void aCommittedTransferDropsBothAccountsOnEveryNodeAndAConsistentReadGoesToTheLedger() {
    BalanceCache a = node("a");
    BalanceCache b = node("b");
    UInt128 other = UInt128.of(43);
    a.get(ID, false).await();
    b.get(ID, false).await();
    b.get(other, false).await();
    assertThat(b.known(ID)).isNotNull();

    // Time passes between the reads and the write. The poll below sees the L1 drops, not the L2 deletes that follow
    // them: what keeps b's next read from L2's older entry is that b dropped the key after that entry's load began.
    now.addAndGet(1);
    credits = 9;
    Transfer t = new Transfer(UInt128.of(1), other, ID, UInt128.of(9), UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, 0,
        now.get() * 1_000_000);
    vertx.eventBus().publish(LedgerApi.TRANSFERS_COMMITTED, new LedgerApi.TransfersCommitted(List.of(t), List.of()));
    Poll.until(Duration.ofSeconds(5), "every node drops both accounts",
        () -> a.known(ID) == null && b.known(ID) == null && b.known(other) == null);
    Answer after = b.get(ID, false).await();
    assertThat(after.served()).isEqualTo(Served.MISS);
    assertThat(after.balance().version()).isEqualTo(1009);
    // Timed once Redis answered the delete, on each node.
    Poll.until(Duration.ofSeconds(5), "each node timed the drop",
        () -> registry.timer("ledgerline.cache.invalidation.delay").count() == 2);

    credits = 10;
    int before = lookups.get();
    Answer through = a.get(ID, true).await();
    assertThat(through.served()).isEqualTo(Served.MISS);
    assertThat(through.balance().version()).isEqualTo(1010);
    assertThat(lookups).hasValue(before + 1);
    assertThat(a.get(ID, false).await().balance().version()).isEqualTo(1010);
  }

  @Test
  void aThousandConcurrentMissesOnOneBalanceMakeOneLedgerLookup() {
    BalanceCache a = node("a");
    hold = true;
    List<Future<Answer>> answers = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      answers.add(a.get(ID, false));
    }
    Poll.until(Duration.ofSeconds(5), "the one lookup starts", () -> lookups.get() == 1);
    held.poll().complete(new Balance(new Account(ID, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.of(3),
        UInt128.ZERO, 0, 0, 0, 1, 1, 0, 1), 1003));
    Future.all(answers).await();
    assertThat(lookups).hasValue(1);
    assertThat(answers).allSatisfy(f -> assertThat(f.result().balance().version()).isEqualTo(1003));
  }

  @Test
  void aMultiGetServesMemoryAndLoadsAllItsMissesInOneLedgerCallStillSingleFlightPerKey() {
    List<List<UInt128>> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
    ConcurrentLinkedQueue<Promise<java.util.Map<UInt128, Balance>>> heldBatches = new ConcurrentLinkedQueue<>();
    BalanceCache a = new BalanceCache(vertx, redis.client(vertx), new BalanceCache.Ledger() {
      @Override
      public Future<Balance> load(UInt128 id) {
        return lookup(id);
      }

      @Override
      public Future<java.util.Map<UInt128, Balance>> loadAll(List<UInt128> ids) {
        java.util.Map<UInt128, Balance> found = new java.util.HashMap<>();
        for (UInt128 id : ids) {
          found.put(id, new Balance(new Account(id, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.of(credits),
              UInt128.ZERO, 0, 0, 0, 1, 1, 0, 1), 1000 + credits));
        }
        if (hold) {
          Promise<java.util.Map<UInt128, Balance>> p = Promise.promise();
          heldBatches.add(p);
          batches.add(ids);
          return p.future();
        }
        batches.add(ids);
        return Future.succeededFuture(found);
      }
    }, SETTINGS, Duration.ofSeconds(5), registry, "a", now::get).start();
    caches.add(a);
    UInt128 b = UInt128.of(43);
    UInt128 c = UInt128.of(44);
    credits = 1;
    a.get(ID, false).await();
    int single = lookups.get();

    java.util.Map<UInt128, Answer> first = a.getAll(List.of(ID, b, c, b), false).await();
    assertThat(first.keySet()).containsExactly(ID, b, c);
    assertThat(first.get(ID).served()).isEqualTo(Served.L1);
    assertThat(first.get(b).served()).isEqualTo(Served.MISS);
    assertThat(first.get(c).balance().version()).isEqualTo(1001);
    assertThat(batches).as("one ledger call for every miss, none for what memory holds").containsExactly(List.of(b, c));
    assertThat(a.getAll(List.of(ID, b, c), false).await().values()).allSatisfy(x ->
        assertThat(x.served()).isEqualTo(Served.L1));
    assertThat(batches).hasSize(1);

    // Single-flight: a read of one of the keys while the batch runs joins it, and so does a second multi-get.
    hold = true;
    UInt128 d = UInt128.of(45);
    UInt128 e = UInt128.of(46);
    Future<java.util.Map<UInt128, Answer>> many = a.getAll(List.of(d, e), false);
    Poll.until(Duration.ofSeconds(5), "the batch starts", () -> batches.size() == 2);
    Future<Answer> one = a.get(d, false);
    Future<java.util.Map<UInt128, Answer>> again = a.getAll(List.of(e), false);
    hold = false;
    java.util.Map<UInt128, Balance> loaded = new java.util.HashMap<>();
    for (UInt128 id : List.of(d, e)) {
      loaded.put(id, new Balance(new Account(id, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.of(7),
          UInt128.ZERO, 0, 0, 0, 1, 1, 0, 1), 1007));
    }
    heldBatches.poll().complete(loaded);
    assertThat(many.await().get(e).balance().version()).isEqualTo(1007);
    assertThat(one.await().balance().version()).isEqualTo(1007);
    assertThat(again.await().get(e).balance().version()).isEqualTo(1007);
    assertThat(batches).hasSize(2);
    assertThat(lookups).as("no single-key load").hasValue(single);

    // A committed transfer drops its accounts; the next multi-get loads only those, and consistent reads all. (Time
    // passes before it: the poll sees the L1 drops, and L2's older entries are refused because their loads began
    // before those drops, whether or not the L2 deletes have run yet.)
    now.addAndGet(1);
    credits = 2;
    Transfer t = new Transfer(UInt128.of(9), b, c, UInt128.of(1), UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, 0,
        now.get() * 1_000_000);
    vertx.eventBus().publish(LedgerApi.TRANSFERS_COMMITTED, new LedgerApi.TransfersCommitted(List.of(t), List.of()));
    Poll.until(Duration.ofSeconds(5), "the transfer's accounts are dropped", () -> a.known(b) == null
        && a.known(c) == null);
    java.util.Map<UInt128, Answer> after = a.getAll(List.of(ID, b, c), false).await();
    assertThat(after.get(b).balance().version()).isEqualTo(1002);
    assertThat(after.get(ID).balance().version()).isEqualTo(1001);
    assertThat(batches.get(2)).containsExactly(b, c);
    credits = 3;
    java.util.Map<UInt128, Answer> through = a.getAll(List.of(ID, b), true).await();
    assertThat(through.values()).allSatisfy(x -> assertThat(x.balance().version()).isEqualTo(1003));
    assertThat(batches.get(3)).containsExactly(ID, b);
    assertThat(a.get(ID, false).await().balance().version()).isEqualTo(1003);
  }

  @Test
  void theCodecKeepsEveryFieldInCompactForm() {
    Balance b = new Balance(new Account(UInt128.parse("340282366920938463463374607431768211455"), UInt128.of(1),
        UInt128.of(2), UInt128.of(3), UInt128.of(4), UInt128.of(5), 6, 7, 0, 8, 9, 10, 11), 12);
    byte[] bytes = BalanceCache.CODEC.encode(b);
    assertThat(bytes).hasSize(136);
    assertThat(BalanceCache.CODEC.decode(bytes)).isEqualTo(b);
  }
}
