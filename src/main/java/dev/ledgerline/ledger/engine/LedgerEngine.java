package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.BatchTooLargeException;
import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.LedgerException;
import dev.ledgerline.ledger.LedgerOutcomeUnknownException;
import dev.ledgerline.ledger.LedgerTestHooks;
import dev.ledgerline.ledger.LedgerUnavailableException;
import dev.ledgerline.ledger.Operation;
import dev.ledgerline.ledger.StaleEpochException;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded ledger: a {@link StateMachine} on one thread, a write-ahead log written and fsync'd on another
 * (results complete only once their batch is durable), and snapshots written in the background.
 *
 * <p>Every state change (create batch, expiry pulse, test balance setup, fencing epoch) is logged with its
 * timestamp; replaying the log after the latest snapshot rebuilds exactly the same state. Futures complete on the
 * log thread.
 *
 * <p><b>Disk use.</b> The log is a sequence of segments ({@link Wal}); each snapshot starts a new one, so a snapshot
 * at op S covers every segment that ends at or before S. Once a snapshot is durable the engine keeps the two newest
 * snapshots and the segments after the older of them, and removes older snapshots and segments (segments are moved
 * to {@code archive/} instead with {@code ledger.wal.archive}); a segment's commit file ({@link CommitFile}) goes with
 * it. At start the newest segment is checked against its commit file: a group the commit file records but the segment
 * lost was acknowledged, and the engine refuses to start rather than truncate it.
 *
 * <p><b>Expiry pulses</b> that the engine's own timer appends are asked of {@link #pulseGate} first, so a node that
 * may not write does not grow its log. The directory thus holds at most two snapshots plus
 * the log written since the older one: two snapshot intervals of log plus the tail. Start-up replays from the newest
 * snapshot; {@code verify} replays from the older one and checks the newer against it. Start-up is {@link Recovery};
 * snapshot files and pruning are {@link Snapshots}.
 */
public final class LedgerEngine implements LedgerBackend, LedgerTestHooks {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerEngine.class);

  private final EngineConfig config;
  private final EngineClock clock;
  private final boolean testHooks;
  private final Path dir;
  private final StateMachine sm;
  private final WalFiles files;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final LogWriter writer;
  private final ScheduledExecutorService engine;
  private final ExecutorService snapshotter;
  private final BatchResults results = new BatchResults();
  private final RecoveryInfo recovery;
  private final Snapshots snapshots;

  // Engine-thread state.
  private long prepareTimestamp;
  private long opNumber;
  private volatile long lastSnapshotOp;
  /** The fencing epoch that is durable (what {@link #currentEpoch} reports). */
  private volatile long durableEpoch;
  private long lastSnapshotNanos = System.nanoTime();
  private volatile boolean snapshotRunning;

  /** Asked before the engine's own timer appends an expiry pulse (see {@link #pulseGate}). */
  private volatile BooleanSupplier pulseAllowed = () -> true;

  private volatile Throwable fatal;
  private volatile boolean closed;

  /**
   * What start-up found: the snapshot used, the records replayed, and any torn (unacknowledged) group truncated at
   * the tail ({@code tornTailOffset} in {@code tornTailFile}).
   */
  public record RecoveryInfo(long snapshotOp, long replayedRecords, long lastOp, boolean truncatedTornTail,
      long tornTailOffset, Path tornTailFile, long millis) {}

  private LedgerEngine(EngineConfig config, EngineClock clock, boolean testHooks, WalFiles files)
      throws IOException {
    long started = System.nanoTime();
    this.config = config;
    this.clock = clock;
    this.testHooks = testHooks;
    this.files = files;
    this.dir = config.dataDir();
    Files.createDirectories(dir);
    lockChannel = FileChannel.open(dir.resolve("ledger.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    }
    if (l == null) {
      lockChannel.close();
      throw new LedgerException("ledger data directory " + dir + " is in use by another engine");
    }
    lock = l;
    try {
      Recovery.Recovered recovered = Recovery.recover(dir, config, files, this::onFatal, started);
      sm = recovered.sm();
      opNumber = recovered.opNumber();
      recovery = recovered.info();
      writer = recovered.writer();
      lastSnapshotOp = recovery.snapshotOp();
      durableEpoch = sm.fenceEpoch;
      prepareTimestamp = sm.commitTimestamp;
      snapshots = new Snapshots(dir, config, writer, this::onFatal);
      engine = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ledger-engine");
        t.setDaemon(true);
        return t;
      });
      snapshotter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ledger-snapshot");
        t.setDaemon(true);
        return t;
      });
      engine.scheduleWithFixedDelay(this::timer, 100, 100, TimeUnit.MILLISECONDS);
    } catch (IOException | RuntimeException e) {
      release(); // a directory that fails to open stays usable by the next attempt
      throw e;
    }
  }

  /** Opens (recovering if needed) the engine on the real clock, without test hooks. */
  public static LedgerEngine open(EngineConfig config) {
    return open(config, EngineClock.SYSTEM, false);
  }

  /**
   * Opens the engine. {@code testHooks} enables {@link #testHooks()} (setup_balances, tick): for tests and the
   * conformance runner only.
   */
  public static LedgerEngine open(EngineConfig config, EngineClock clock, boolean testHooks) {
    return open(config, clock, testHooks, WalFiles.DEFAULT);
  }

  /** Opens the engine over log files opened by {@code files} (fault tests). */
  public static LedgerEngine open(EngineConfig config, EngineClock clock, boolean testHooks, WalFiles files) {
    try {
      return new LedgerEngine(config, clock, testHooks, files);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open ledger data directory " + config.dataDir(), e);
    }
  }

  public RecoveryInfo recoveryInfo() {
    return recovery;
  }

  /** The newest snapshot file in {@code dir}, or null (tests). */
  static Path latestSnapshot(Path dir) throws IOException {
    return Snapshots.latest(dir);
  }

  // =====================================================================================================
  // LedgerBackend
  // =====================================================================================================

  @Override
  public CompletionStage<List<CreateAccountsResult>> createAccounts(List<Account> accounts) {
    return create(Operation.CREATE_ACCOUNTS, accounts);
  }

  @Override
  public long lastSyncNanos() {
    return writer.lastSyncNanos();
  }

  @Override
  public CompletionStage<List<CreateTransfersResult>> createTransfers(List<Transfer> transfers) {
    return create(Operation.CREATE_TRANSFERS, transfers);
  }

  @Override
  public CompletionStage<List<CreateAccountsResult>> createAccountsEncoded(ByteBuffer events) {
    return createEncoded(Operation.CREATE_ACCOUNTS, events);
  }

  @Override
  public CompletionStage<List<CreateTransfersResult>> createTransfersEncoded(ByteBuffer events) {
    return createEncoded(Operation.CREATE_TRANSFERS, events);
  }

  private <E extends Event, R extends EventResult> CompletionStage<List<R>> create(Operation<E, R> op,
      List<E> events) {
    if (events.size() > BATCH_MAX) return CompletableFuture.failedFuture(new BatchTooLargeException(events.size()));
    return createEncoded(op, op.encode(events));
  }

  /** Executes one create batch, logs it under the operation's number, and answers once the log is durable. */
  private <R extends EventResult> CompletionStage<List<R>> createEncoded(Operation<?, R> op, ByteBuffer events) {
    CompletableFuture<List<R>> f = new CompletableFuture<>();
    ByteBuffer ev = events.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (!checkBatch(ev, f)) return f;
    submit(f, () -> {
      int n = ev.remaining() / op.eventSize();
      long t = nextTimestamp(n);
      long expiry = sm.nextExpiry();
      sm.execute(op, ev, 0, n, t, results);
      List<R> out = results.toList(op);
      append(op.code(), t, ev, () -> f.complete(out), f);
      afterRequest(expiry, t);
    });
    return f;
  }

  private static boolean checkBatch(ByteBuffer ev, CompletableFuture<?> f) {
    if (ev.remaining() % 128 != 0) {
      f.completeExceptionally(new IllegalArgumentException("batch is not a multiple of 128 bytes"));
      return false;
    }
    if (ev.remaining() / 128 > BATCH_MAX) {
      f.completeExceptionally(new BatchTooLargeException(ev.remaining() / 128));
      return false;
    }
    return true;
  }

  @Override
  public CompletionStage<List<Account>> lookupAccounts(List<UInt128> ids) {
    if (ids.size() > BATCH_MAX) return CompletableFuture.failedFuture(new BatchTooLargeException(ids.size()));
    return read(() -> sm.queries.lookupAccounts(ids));
  }

  @Override
  public CompletionStage<List<Transfer>> lookupTransfers(List<UInt128> ids) {
    if (ids.size() > BATCH_MAX) return CompletableFuture.failedFuture(new BatchTooLargeException(ids.size()));
    return read(() -> sm.queries.lookupTransfers(ids));
  }

  @Override
  public CompletionStage<List<Transfer>> getAccountTransfers(AccountFilter filter) {
    return read(() -> sm.queries.getAccountTransfers(filter));
  }

  @Override
  public CompletionStage<List<AccountBalance>> getAccountBalances(AccountFilter filter) {
    return read(() -> sm.queries.getAccountBalances(filter));
  }

  @Override
  public CompletionStage<List<Account>> queryAccounts(QueryFilter filter) {
    return read(() -> sm.queries.queryAccounts(filter));
  }

  @Override
  public CompletionStage<List<Transfer>> queryTransfers(QueryFilter filter) {
    return read(() -> sm.queries.queryTransfers(filter));
  }

  /** A read is a request too: it takes a timestamp, may trigger a pulse, and replies behind earlier writes. */
  private <T> CompletionStage<T> read(Supplier<T> query) {
    CompletableFuture<T> f = new CompletableFuture<>();
    submit(f, () -> {
      long t = nextTimestamp(0);
      long expiry = sm.nextExpiry();
      T value = query.get();
      writer.enqueue(LogWriter.Item.completion(() -> f.complete(value), unavailable(f)));
      afterRequest(expiry, t);
    });
    return f;
  }

  // =====================================================================================================
  // Fencing (the write lease's epoch)
  // =====================================================================================================

  /**
   * Durably records fencing epoch {@code epoch}: completes once an epoch record is fsync'd (or, when {@code epoch}
   * equals the current epoch, once everything before it is durable, without a new record); fails with
   * {@link StaleEpochException} for an epoch lower than the current one. An epoch record changes no account; it is
   * replayed at start and kept in snapshots.
   */
  public CompletionStage<Void> fence(long epoch) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (epoch < 0) {
      f.completeExceptionally(new IllegalArgumentException("a fencing epoch is not negative: " + epoch));
      return f;
    }
    submit(f, () -> {
      long current = sm.fenceEpoch;
      if (epoch < current) {
        f.completeExceptionally(new StaleEpochException(epoch, current));
        return;
      }
      if (epoch == current) {
        writer.enqueue(LogWriter.Item.completion(() -> f.complete(null), unavailable(f)));
        return;
      }
      sm.fenceEpoch = epoch;
      ByteBuffer body = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, epoch);
      append(Wal.OP_FENCE, sm.commitTimestamp, body, () -> {
        durableEpoch = epoch;
        f.complete(null);
      }, f);
    });
    return f;
  }

  /** The highest fencing epoch that is durable (0 if none was ever recorded). */
  public long currentEpoch() {
    return durableEpoch;
  }

  /** The op number of the last durable (committed) log record. */
  public long lastOp() {
    return writer.durableOp();
  }

  @Override
  public Optional<LedgerTestHooks> testHooks() {
    return testHooks ? Optional.of(this) : Optional.empty();
  }

  // =====================================================================================================
  // Test hooks
  // =====================================================================================================

  @Override
  public CompletionStage<Void> setupBalances(UInt128 accountId, UInt128 debitsPending, UInt128 debitsPosted,
      UInt128 creditsPending, UInt128 creditsPosted) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (!testHooks) {
      f.completeExceptionally(new UnsupportedOperationException("test hooks are disabled"));
      return f;
    }
    submit(f, () -> {
      if (!sm.setupBalances(accountId, debitsPending, debitsPosted, creditsPending, creditsPosted)) {
        f.completeExceptionally(new IllegalArgumentException("no account " + accountId));
        return;
      }
      ByteBuffer body = ByteBuffer.allocate(80).order(ByteOrder.LITTLE_ENDIAN);
      UInt128[] v = {accountId, debitsPending, debitsPosted, creditsPending, creditsPosted};
      for (int i = 0; i < 5; i++) body.putLong(i * 16, v[i].lo()).putLong(i * 16 + 8, v[i].hi());
      append(Wal.OP_SETUP_BALANCES, sm.commitTimestamp, body, () -> f.complete(null), f);
    });
    return f;
  }

  @Override
  public CompletionStage<Void> tick(long nanoseconds) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    if (!testHooks) {
      f.completeExceptionally(new UnsupportedOperationException("test hooks are disabled"));
      return f;
    }
    submit(f, () -> {
      prepareTimestamp += nanoseconds;
      if (Long.compareUnsigned(sm.nextExpiry(), prepareTimestamp) <= 0) pulse();
      writer.enqueue(LogWriter.Item.completion(() -> f.complete(null), unavailable(f)));
    });
    return f;
  }

  @Override
  public CompletionStage<List<Transfer>> peekTransfers(List<UInt128> ids) {
    return peek(() -> sm.queries.lookupTransfers(ids));
  }

  @Override
  public CompletionStage<List<Account>> peekAccounts(List<UInt128> ids) {
    return peek(() -> sm.queries.lookupAccounts(ids));
  }

  private <T> CompletionStage<T> peek(Supplier<T> query) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (!testHooks) {
      f.completeExceptionally(new UnsupportedOperationException("test hooks are disabled"));
      return f;
    }
    submit(f, () -> {
      T value = query.get();
      writer.enqueue(LogWriter.Item.completion(() -> f.complete(value), unavailable(f)));
    });
    return f;
  }

  // =====================================================================================================
  // Engine thread
  // =====================================================================================================

  private void submit(CompletableFuture<?> f, Runnable task) {
    if (closed) {
      f.completeExceptionally(new LedgerUnavailableException("ledger engine is closed"));
      return;
    }
    try {
      engine.execute(() -> {
        Throwable fail = fatal;
        if (fail != null) {
          f.completeExceptionally(new LedgerUnavailableException("ledger engine stopped: " + fail, fail));
          return;
        }
        try {
          task.run();
        } catch (RuntimeException e) {
          // The state machine must never throw; if it does, state may be half-applied: stop for good.
          LOG.error("ledger engine failed; stopping", e);
          onFatal(e);
          f.completeExceptionally(new LedgerUnavailableException("ledger engine failed: " + e, e));
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      f.completeExceptionally(new LedgerUnavailableException("ledger engine is closed"));
    }
  }

  private void onFatal(Throwable t) {
    if (fatal == null) {
      fatal = t;
      LOG.error("ledger engine {} halted: every request is refused until the node restarts ({})", dir, t.toString());
    }
  }

  /** Hands each group's time to durability (its fsyncs, in nanoseconds) to {@code listener}, on the log's thread. */
  public void onSync(java.util.function.LongConsumer listener) {
    writer.onSync(listener);
  }

  @Override
  public Optional<String> haltReason() {
    Throwable f = fatal;
    return f == null ? Optional.empty() : Optional.of(String.valueOf(f));
  }

  /** T = max(previous + 1, clock) + n. */
  private long nextTimestamp(int n) {
    long now = clock.nowNanos();
    long t = Math.max(prepareTimestamp + 1, now) + n;
    if (t < 0) throw new IllegalStateException("timestamp overflow");
    prepareTimestamp = t;
    return t;
  }

  private void append(int operation, long timestamp, ByteBuffer body, Runnable onDurable, CompletableFuture<?> f) {
    opNumber++;
    ByteBuffer b = body == null ? null : body.duplicate();
    writer.enqueue(new LogWriter.Item(opNumber, timestamp, operation, b, onDurable, e -> f.completeExceptionally(
        e instanceof LedgerOutcomeUnknownException ? e
            : new LedgerUnavailableException("write-ahead log failed; nothing in this batch was written", e))));
  }

  /** A completion behind a failed log write: nothing of it was written; the caller hears "unavailable". */
  private static Consumer<Throwable> unavailable(CompletableFuture<?> f) {
    return e -> f.completeExceptionally(e instanceof LedgerException ? e
        : new LedgerUnavailableException("write-ahead log failed; the ledger engine has stopped", e));
  }

  private void afterRequest(long expiryBefore, long t) {
    if (Long.compareUnsigned(expiryBefore, t) <= 0) pulse();
    maybeSnapshot();
  }

  /** Expires due pending transfers as its own logged request. */
  private void pulse() {
    long t = nextTimestamp(BATCH_MAX);
    sm.pulse(t);
    append(Wal.OP_PULSE, t, null, () -> { }, new CompletableFuture<>());
  }

  /**
   * Sets what the engine's timer asks before it appends an expiry pulse of its own (default: always allowed). A node
   * that may not write (it does not hold the ledger's write lease) must not grow the log; pulses that follow a
   * request (which itself passed the lease) are not gated, nor are test-hook ticks.
   */
  public void pulseGate(BooleanSupplier allowed) {
    pulseAllowed = allowed == null ? () -> true : allowed;
  }

  /** The gate's answer; a gate that throws says no (the next tick asks again) rather than halting the engine. */
  private boolean pulseAllowed() {
    try {
      return pulseAllowed.getAsBoolean();
    } catch (RuntimeException e) {
      LOG.warn("expiry pulse gate failed; no pulse this tick", e);
      return false;
    }
  }

  private void timer() {
    if (fatal != null || closed) return;
    try {
      if (Long.compareUnsigned(sm.nextExpiry(), clock.nowNanos()) <= 0 && pulseAllowed()) pulse();
      maybeSnapshot();
    } catch (RuntimeException e) {
      LOG.error("ledger engine timer failed; stopping", e);
      onFatal(e);
    }
  }

  private void maybeSnapshot() {
    if (config.snapshotInterval().isZero() || snapshotRunning || opNumber == lastSnapshotOp) return;
    if (System.nanoTime() - lastSnapshotNanos < config.snapshotInterval().toNanos()) return;
    startSnapshot();
  }

  /**
   * Captures the state for a snapshot at the current op (engine thread) and has the log start a new segment after
   * that op, so the snapshot will cover whole segments.
   */
  private SnapshotPoint snapshotView() {
    StateView view = sm.view(opNumber);
    CompletableFuture<Void> rotated = new CompletableFuture<>();
    writer.enqueue(LogWriter.Item.rotate(opNumber + 1, () -> rotated.complete(null), rotated::completeExceptionally));
    return new SnapshotPoint(view, rotated);
  }

  /** A state to snapshot, and the log's switch to the segment after it. */
  private record SnapshotPoint(StateView view, CompletableFuture<Void> rotated) {}

  private void writeSnapshot(SnapshotPoint point) {
    snapshots.write(point.view(), point.rotated(), op -> lastSnapshotOp = Math.max(lastSnapshotOp, op));
  }

  private void startSnapshot() {
    SnapshotPoint view = snapshotView();
    snapshotRunning = true;
    lastSnapshotNanos = System.nanoTime();
    snapshotter.execute(() -> {
      try {
        writeSnapshot(view);
      } finally {
        snapshotRunning = false;
      }
    });
  }

  // =====================================================================================================
  // Introspection (tests, bench, verify)
  // =====================================================================================================

  /** SHA-256 of the canonical state, taken on the engine thread after everything submitted before it. */
  public String stateDigest() {
    return onEngine(sm::stateDigest);
  }

  /** Stored transfers and the bytes the state's arrays hold. */
  public record Stats(int accounts, int transfers, long memoryBytes, long opNumber, long walBytes) {}

  /** {@code walBytes} is the log kept on disk: older segments' sizes plus the current one up to its last group. */
  public Stats stats() {
    Stats s = onEngine(() -> new Stats(sm.accountCount(), sm.transferCount(), sm.memoryBytes(), opNumber, 0));
    long[] current = writer.segmentAndEnd();
    long bytes = current[1];
    try {
      for (Wal.Segment seg : Wal.segments(dir)) if (seg.firstOp() < current[0]) bytes += Files.size(seg.file());
    } catch (IOException e) {
      bytes = -1; // a segment removed while being listed: the figure is informational
    }
    return new Stats(s.accounts(), s.transfers(), s.memoryBytes(), s.opNumber(), bytes);
  }

  /** Takes a snapshot now and waits for it (tests and bench). */
  public void snapshotNow() {
    SnapshotPoint view = onEngine(this::snapshotView);
    try {
      while (snapshotRunning) Thread.onSpinWait();
      writeSnapshot(view);
    } finally {
      snapshotRunning = false;
    }
    if (fatal != null) throw new LedgerUnavailableException("snapshot failed: " + fatal, fatal);
  }

  private <T> T onEngine(Supplier<T> s) {
    try {
      return engine.submit(s::get).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LedgerUnavailableException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new LedgerUnavailableException("engine task failed: " + e.getCause(), e.getCause());
    }
  }

  public Path dataDir() {
    return dir;
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    SnapshotPoint last = null;
    try {
      if (fatal == null && config.snapshotOnClose()) {
        last = engine.submit(() -> opNumber > lastSnapshotOp ? snapshotView() : null).get();
      }
    } catch (Exception e) {
      LOG.warn("could not capture the closing snapshot", e);
    }
    closed = true;
    engine.shutdown();
    try {
      engine.awaitTermination(1, TimeUnit.MINUTES);
      snapshotter.shutdown();
      snapshotter.awaitTermination(10, TimeUnit.MINUTES);
      if (last != null && fatal == null) writeSnapshot(last);
      writer.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      writer.closeChannel();
    } catch (IOException e) {
      LOG.warn("closing the write-ahead log failed", e);
    }
    release();
  }

  private void release() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      LOG.warn("releasing the ledger data directory's lock failed", e);
    }
  }
}
