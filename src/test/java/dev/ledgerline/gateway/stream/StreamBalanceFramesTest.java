package dev.ledgerline.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.cache.BalanceCache;
import dev.ledgerline.cache.BalanceCache.Balance;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Balance frames come from the balance cache with their version and age, never older than the transfer they follow,
 * in commit order while reads are slow, over a ledger stand-in that counts and holds its loads.
 */
class StreamBalanceFramesTest {
  private static final LedgerlineConfig.Cache SETTINGS = new LedgerlineConfig.Cache(1000, Duration.ofSeconds(60),
      Duration.ofSeconds(300), false, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5));
  private static final UInt128 FROM = UInt128.of(1);
  private static final UInt128 TO = UInt128.of(2);

  private Vertx vertx;
  private Context context;
  private final AtomicInteger loads = new AtomicInteger();
  /** The ledger stand-in's state of TO: its credits and the timestamp of its latest transfer. */
  private final AtomicLong credits = new AtomicLong();
  private final AtomicLong version = new AtomicLong(1000);
  private final ConcurrentLinkedQueue<Promise<Balance>> held = new ConcurrentLinkedQueue<>();
  private volatile boolean hold;
  private volatile boolean failing;
  private final List<String> sent = new CopyOnWriteArrayList<>();
  private StreamHub hub;
  private final AtomicLong clock = new AtomicLong(1_000_000);

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    BalanceCache cache = new BalanceCache(vertx, null, this::load, SETTINGS, Duration.ofSeconds(1),
        new SimpleMeterRegistry(), "test", clock::get);
    hub = new StreamHub(vertx, null, cache);
    Principal p = new Principal("sub", Set.of(Role.USER), null, Instant.now().plusSeconds(600));
    StreamConnection c = new StreamConnection(vertx, socket(), p, null, null, hub, null, 100,
        new StreamConnection.Caps(100, 1000), () -> Future.succeededFuture((String) null));
    // Registered at the hub alone: frames are delivered as they come.
    hub.subscribe(c, TO);
    context.runOnContext(v -> cache.get(TO, false));
    Poll.until(Duration.ofSeconds(5), "the balance is cached", () -> loads.get() == 1);
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private Future<Balance> load(UInt128 id) {
    if (failing) {
      return Future.failedFuture(new IllegalStateException("ledger unavailable"));
    }
    Balance b = new Balance(new Account(id, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.of(credits.get()),
        UInt128.ZERO, 0, 0, 0, 1, 1, 0, 1), version.get());
    if (hold) {
      Promise<Balance> p = Promise.promise();
      held.add(p);
      loads.incrementAndGet();
      return p.future().map(x -> b);
    }
    loads.incrementAndGet();
    return Future.succeededFuture(b);
  }

  private ServerWebSocket socket() {
    return (ServerWebSocket) Proxy.newProxyInstance(ServerWebSocket.class.getClassLoader(),
        new Class<?>[] {ServerWebSocket.class}, (proxy, method, args) -> switch (method.getName()) {
          case "isClosed", "writeQueueFull" -> false;
          case "writeTextMessage" -> {
            sent.add((String) args[0]);
            yield Future.succeededFuture();
          }
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> null;
        });
  }

  /** The ledger commits a transfer of {@code amount} to TO at {@code timestamp}; the feed publishes it. */
  private void commit(long id, long amount, long timestamp) {
    credits.addAndGet(amount);
    version.set(timestamp);
    TransfersCommitted batch = new TransfersCommitted(List.of(new Transfer(UInt128.of(id), FROM, TO,
        UInt128.of(amount), UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, 0, timestamp)), List.of());
    context.runOnContext(v -> hub.dispatch(batch));
  }

  private JsonObject frame(int i) {
    return new JsonObject(sent.get(i));
  }

  @Test
  void aBalanceFrameIsReadThroughWhenTheCacheIsBehindTheTransferAndStatesItsVersionAndAge() {
    // The cache still holds the balance of version 1000 (this node has not dropped it): read through.
    commit(7, 5, 2000);
    Poll.until(Duration.ofSeconds(5), "the transfer and its balance are sent", () -> sent.size() == 2);
    assertThat(frame(0).getString("type")).isEqualTo("transfer");
    JsonObject balance = frame(1);
    assertThat(balance.getString("type")).isEqualTo("balance");
    assertThat(balance.getString("credits_posted")).isEqualTo("5");
    assertThat(balance.getString("balance_version")).isEqualTo("2000");
    assertThat(balance.getLong("balance_age_ms")).isZero();
    assertThat(loads).hasValue(2);

    // The same batch again (the feed delivers at least once): the cache's balance is recent enough, no ledger read.
    clock.addAndGet(1500);
    TransfersCommitted again = new TransfersCommitted(List.of(new Transfer(UInt128.of(7), FROM, TO, UInt128.of(5),
        UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, 0, 2000)), List.of());
    context.runOnContext(v -> hub.dispatch(again));
    Poll.until(Duration.ofSeconds(5), "the republished frames are sent", () -> sent.size() == 4);
    assertThat(frame(3).getString("balance_version")).isEqualTo("2000");
    assertThat(frame(3).getLong("balance_age_ms")).as("from the cache, with its age").isEqualTo(1500);
    assertThat(loads).hasValue(2);
  }

  @Test
  void batchesArrivingDuringASlowReadWaitAndAreDeliveredInCommitOrderWithOneRead() {
    hold = true;
    commit(7, 5, 2000);
    Poll.until(Duration.ofSeconds(5), "the first read starts", () -> loads.get() == 2);
    commit(8, 1, 3000);
    commit(9, 1, 4000);
    assertThat(sent).as("nothing is sent before its balance is read").isEmpty();
    hold = false;
    held.poll().complete();
    Poll.until(Duration.ofSeconds(5), "all three transfers and their balances are sent", () -> sent.size() == 6);
    assertThat(loads).as("one read for the first batch, one for the two that waited").hasValue(3);
    List<String> order = List.of("7", "8", "9");
    for (int i = 0; i < 3; i++) {
      assertThat(frame(2 * i).getJsonObject("transfer").getString("id")).isEqualTo(order.get(i));
      assertThat(Long.parseLong(frame(2 * i + 1).getString("balance_version"))).as("never older than its transfer")
          .isGreaterThanOrEqualTo(Long.parseLong(frame(2 * i).getJsonObject("transfer").getString("timestamp")));
    }
    assertThat(frame(5).getString("credits_posted")).isEqualTo("7");
  }

  @Test
  void aFailedReadSendsTheTransferWithoutABalanceAndTheNextBatchHasOneAgain() {
    failing = true;
    commit(7, 5, 2000);
    Poll.until(Duration.ofSeconds(5), "the transfer is sent", () -> sent.size() == 1);
    failing = false;
    commit(8, 1, 3000);
    Poll.until(Duration.ofSeconds(5), "the next transfer and its balance are sent", () -> sent.size() == 3);
    assertThat(frame(0).getJsonObject("transfer").getString("id")).isEqualTo("7");
    assertThat(frame(1).getJsonObject("transfer").getString("id")).as("no balance after the failed read")
        .isEqualTo("8");
    assertThat(frame(2).getString("balance_version")).isEqualTo("3000");
    assertThat(frame(2).getString("credits_posted")).isEqualTo("6");
  }
}
