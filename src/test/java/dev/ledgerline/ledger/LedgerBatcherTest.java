package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batcher as a plain class, without Vert.x: one thread as its context, a real engine underneath. */
class LedgerBatcherTest {
  private static final UInt128 A1 = UInt128.of(1);
  private static final UInt128 A2 = UInt128.of(2);

  @TempDir Path dir;
  private ScheduledExecutorService loop;
  private LedgerEngine engine;
  private GatedBackend backend;

  @BeforeEach
  void open() throws Exception {
    loop = Executors.newSingleThreadScheduledExecutor();
    engine = LedgerEngine.open(EngineConfig.of(dir));
    assertThat(engine.createAccounts(List.of(Account.of(A1, 1, 1, 0), Account.of(A2, 1, 1, 0)))
        .toCompletableFuture().get()).isEmpty();
    backend = new GatedBackend(engine);
  }

  @AfterEach
  void close() {
    loop.shutdownNow();
    engine.close();
  }

  private LedgerBatcher batcher(int maxEvents, Duration linger) throws Exception {
    return batcher(maxEvents, linger, System::nanoTime);
  }

  private LedgerBatcher batcher(int maxEvents, Duration linger, java.util.function.LongSupplier clock)
      throws Exception {
    Map<Long, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();
    AtomicLong ids = new AtomicLong();
    LedgerBatcher.Timers t = new LedgerBatcher.Timers() {
      @Override
      public long setTimer(long delayMillis, Runnable action) {
        long id = ids.incrementAndGet();
        timers.put(id, loop.schedule(action, delayMillis, TimeUnit.MILLISECONDS));
        return id;
      }

      @Override
      public long setPeriodic(long periodMillis, Runnable action) {
        long id = ids.incrementAndGet();
        timers.put(id, loop.scheduleAtFixedRate(action, periodMillis, periodMillis, TimeUnit.MILLISECONDS));
        return id;
      }

      @Override
      public void cancel(long id) {
        ScheduledFuture<?> f = timers.remove(id);
        if (f != null) f.cancel(false);
      }
    };
    return CompletableFuture.supplyAsync(() -> new LedgerBatcher(backend,
        new LedgerBatcher.Settings(maxEvents, linger, 1000, Duration.ofSeconds(30)), loop, t, clock,
        new SimpleMeterRegistry()), loop).get();
  }

  private static Transfer transfer(long id) {
    return Transfer.of(UInt128.of(id, 5), A1, A2, UInt128.ONE, 1, 1, 0);
  }

  private static LedgerBatcher.Reply<List<CreateTransfersResult>> into(
      CompletableFuture<List<CreateTransfersResult>> f) {
    return new LedgerBatcher.Reply<>() {
      @Override
      public void succeed(List<CreateTransfersResult> value) {
        f.complete(value);
      }

      @Override
      public void fail(int code, String message) {
        f.completeExceptionally(new LedgerException(code + ": " + message));
      }
    };
  }

  /** As a TigerBeetle client on the wire listener asks: it retries until answered. */
  private static LedgerBatcher.Reply<List<CreateTransfersResult>> retrying(
      CompletableFuture<List<CreateTransfersResult>> f) {
    return LedgerBatcher.Reply.untilAnswered(into(f));
  }

  /** Submits the transfers as separate requests, all from one task of the batcher's thread. */
  private List<CompletableFuture<List<CreateTransfersResult>>> submit(LedgerBatcher b, List<Transfer> transfers) {
    List<CompletableFuture<List<CreateTransfersResult>>> out = new ArrayList<>();
    for (int i = 0; i < transfers.size(); i++) out.add(new CompletableFuture<>());
    loop.execute(() -> {
      for (int i = 0; i < transfers.size(); i++) b.createTransfers(List.of(transfers.get(i)), into(out.get(i)));
    });
    return out;
  }

  @Test
  void withoutLingerTheFirstRequestGoesAloneAndTheRestShareTheNextBatch() throws Exception {
    LedgerBatcher b = batcher(8190, Duration.ZERO);
    List<Transfer> ts = List.of(transfer(1), transfer(2), transfer(3), transfer(4));
    for (var f : submit(b, ts)) assertThat(f.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(backend.batches).containsExactly(List.of(ts.get(0).id()),
        List.of(ts.get(1).id(), ts.get(2).id(), ts.get(3).id()));
  }

  @Test
  void lingerLetsTheFirstRequestWaitForCompany() throws Exception {
    LedgerBatcher b = batcher(8190, Duration.ofMillis(100));
    List<Transfer> ts = List.of(transfer(1), transfer(2), transfer(3));
    long start = System.nanoTime();
    for (var f : submit(b, ts)) assertThat(f.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(90));
    assertThat(backend.batches).containsExactly(ts.stream().map(Transfer::id).toList());
  }

  @Test
  void aFullBatchDoesNotWaitForTheLinger() throws Exception {
    LedgerBatcher b = batcher(2, Duration.ofSeconds(60));
    List<Transfer> ts = List.of(transfer(1), transfer(2));
    for (var f : submit(b, ts)) assertThat(f.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(backend.batches).containsExactly(ts.stream().map(Transfer::id).toList());
  }

  @Test
  void shrinkingMaxEventsWhileRequestsWaitNeverStallsTheQueue() throws Exception {
    LedgerBatcher b = batcher(8190, Duration.ZERO);
    backend.shut();
    CompletableFuture<List<CreateTransfersResult>> held = submit(b, List.of(transfer(1))).get(0);
    List<Transfer> three = List.of(transfer(2), transfer(3), transfer(4));
    CompletableFuture<List<CreateTransfersResult>> big = new CompletableFuture<>();
    loop.execute(() -> b.createTransfers(three, into(big)));
    List<CompletableFuture<List<CreateTransfersResult>>> small = submit(b, List.of(transfer(5), transfer(6)));
    // Reloaded below the size of a request already admitted: it still goes, whole and alone.
    loop.execute(() -> b.reconfigure(1, Duration.ZERO, 1000));
    loop.execute(backend::open);
    assertThat(held.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(big.get(10, TimeUnit.SECONDS)).isEmpty();
    for (var f : small) assertThat(f.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(backend.batches.subList(1, backend.batches.size())).containsExactly(
        three.stream().map(Transfer::id).toList(), List.of(transfer(5).id()), List.of(transfer(6).id()));
  }

  @Test
  void aBatchPastItsDeadlineTimesOutItsBusCallersButAnswersAWireCallerWhenItEnds() throws Exception {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
    LedgerBatcher b = batcher(2, Duration.ofSeconds(60), now::get);
    backend.shut();
    CompletableFuture<List<CreateTransfersResult>> bus = new CompletableFuture<>();
    CompletableFuture<List<CreateTransfersResult>> wire = new CompletableFuture<>();
    // Two events fill max-events: one batch, in flight at once.
    CompletableFuture.runAsync(() -> {
      b.createTransfers(List.of(transfer(1)), into(bus));
      b.createTransfers(List.of(transfer(2)), retrying(wire));
    }, loop).get(10, TimeUnit.SECONDS);
    now.addAndGet(Duration.ofSeconds(31).toNanos());
    CompletableFuture.runAsync(b::expire, loop).get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> bus.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(LedgerException.class)
        .hasMessageContaining(LedgerApi.FAILURE_TIMEOUT + ": ");
    // A retry of the wire request would be ignored while it runs, so it must hear this run's own result.
    assertThat(wire).isNotDone();
    loop.execute(backend::open);
    assertThat(wire.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(backend.batches).containsExactly(List.of(transfer(1).id(), transfer(2).id()));
  }

  @Test
  void aWireCallerKeepsTheRequestSizeItWasGivenAfterMaxEventsShrinks() throws Exception {
    LedgerBatcher b = batcher(2, Duration.ZERO);
    List<Transfer> three = List.of(transfer(1), transfer(2), transfer(3));
    CompletableFuture<List<CreateTransfersResult>> bus = new CompletableFuture<>();
    CompletableFuture<List<CreateTransfersResult>> wire = new CompletableFuture<>();
    loop.execute(() -> {
      b.createTransfers(three, into(bus));
      b.createTransfers(three, retrying(wire));
    });
    assertThatThrownBy(() -> bus.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(LedgerException.class)
        .hasMessageContaining(LedgerApi.FAILURE_BATCH_TOO_LARGE + ": ");
    assertThat(wire.get(10, TimeUnit.SECONDS)).isEmpty();
    assertThat(backend.batches).containsExactly(three.stream().map(Transfer::id).toList());
  }
}
