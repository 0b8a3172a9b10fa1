package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.BatchTooLargeException;
import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.LedgerException;
import dev.ledgerline.ledger.LedgerOutcomeUnknownException;
import dev.ledgerline.ledger.LedgerTestHooks;
import dev.ledgerline.ledger.LedgerUnavailableException;
import dev.ledgerline.ledger.StaleEpochException;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
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
import java.util.stream.Stream;
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
 * snapshot; {@code verify} replays from the older one and checks the newer against it.
 */
public final class LedgerEngine implements LedgerBackend, LedgerTestHooks {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerEngine.class);
  private static final String SNAPSHOT_PREFIX = "snapshot-";
  private static final String SNAPSHOT_SUFFIX = ".snap";
  private static final String ARCHIVE_DIR = "archive";

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
  private final Object pruneLock = new Object();

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
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) Files.deleteIfExists(p);
      }
      // A commit file whose segment is absent was left by a crash between creating the two: it records nothing.
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".commits")).toList()) {
          String n = p.getFileName().toString();
          if (!Files.exists(p.resolveSibling(n.substring(0, n.length() - ".commits".length()) + ".wal"))) {
            Files.deleteIfExists(p);
          }
        }
      }
      Path legacy = dir.resolve(Wal.LEGACY_FILE);
      if (Files.exists(legacy)) {
        throw new LedgerException(legacy + " is a version-1 write-ahead log (one file, no commit markers); this "
            + "release reads only version-3 logs (ledger-<op>.wal segments with their .commits files). Start on a new "
            + "data directory, or run the previous release to read this one");
      }
      Path snapshot = latestSnapshot(dir);
      StateMachine machine;
      long snapOp = 0;
      if (snapshot != null) {
        StateCodec.Loaded loaded = StateCodec.readSnapshot(snapshot);
        machine = loaded.sm();
        snapOp = loaded.opNumber();
      } else {
        machine = new StateMachine();
      }
      this.sm = machine;
      List<Wal.Segment> segments = Wal.segments(dir);
      if (segments.isEmpty()) {
        if (snapOp > 0) {
          throw new LedgerCorruptionException(snapshot, 0, "no log segment in " + dir + ": the log after the "
              + "snapshot's op " + snapOp + " is missing");
        }
        LogWriter.createSegment(dir, files, 1, config.fsync()).close();
        segments = Wal.segments(dir);
      }
      // Replay from the segment that holds the first op after the snapshot.
      int first = -1;
      for (int i = 0; i < segments.size(); i++) if (segments.get(i).firstOp() <= snapOp + 1) first = i;
      if (first < 0) {
        throw new LedgerCorruptionException(segments.get(0).file(), 0, "the log starts at op "
            + segments.get(0).firstOp() + " but the snapshot ends at op " + snapOp + ": ops in between are missing");
      }
      Replay replay = new Replay();
      long[] replayed = {0};
      final long snapshotOp = snapOp;
      Wal.Visitor apply = r -> {
        if (r.opNumber() <= snapshotOp) return;
        replay.apply(sm, r);
        replayed[0]++;
      };
      Wal.ScanResult scan = null;
      Wal.Segment tail = null;
      FileChannel tailChannel = null;
      long expected = segments.get(first).firstOp();
      for (int i = first; i < segments.size(); i++) {
        Wal.Segment seg = segments.get(i);
        boolean last = i == segments.size() - 1;
        if (seg.firstOp() != expected) {
          throw new LedgerCorruptionException(seg.file(), 0, "segment starts at op " + seg.firstOp()
              + " but the segment before it ends at op " + (expected - 1));
        }
        FileChannel ch = last ? files.open(seg.file()) : FileChannel.open(seg.file(), StandardOpenOption.READ);
        try {
          scan = Wal.scan(ch, seg, last, apply);
        } catch (IOException | RuntimeException e) {
          ch.close();
          throw e;
        }
        if (last) {
          tail = seg;
          tailChannel = ch;
        } else {
          ch.close();
        }
        expected = scan.lastOpNumber() + 1;
      }
      opNumber = expected - 1;
      if (opNumber < snapOp) {
        tailChannel.close();
        throw new LedgerCorruptionException(tail.file(), scan.validEnd(), "the log ends at op " + opNumber
            + ", before the snapshot's op " + snapOp);
      }
      // The commit file decides what the segment alone cannot: whether a missing tail group was acknowledged.
      Path commitsPath = CommitFile.of(tail);
      if (!Files.exists(commitsPath)) {
        tailChannel.close();
        throw new LedgerCorruptionException(commitsPath, 0, "op " + (scan.lastOpNumber() + 1) + ": the commit file "
            + "of the newest segment " + tail.file().getFileName() + " is missing (it is created before its segment)");
      }
      FileChannel commitsChannel;
      CommitFile.Contents commits;
      try {
        commitsChannel = files.open(commitsPath);
      } catch (IOException | RuntimeException e) {
        tailChannel.close();
        throw e;
      }
      try {
        commits = CommitFile.read(commitsChannel, tail.firstOp());
        Wal.checkCommits(tail, scan, commits);
        if (commits.headerDamaged()) {
          LOG.warn("commit file {}: header damaged; starting it afresh (the segment's own markers prove its groups)",
              commitsPath);
          commitsChannel.close();
          commitsChannel = null;
          LogWriter.createFile(dir, files, CommitFile.name(tail.firstOp()), CommitFile.header(tail.firstOp()),
              config.fsync());
          if (config.fsync()) fsyncDirectory(dir);
          commitsChannel = files.open(commitsPath);
        } else if (commits.damaged() > 0) {
          LOG.warn("commit file {}: {} damaged entries ignored (the segment's own markers prove those groups)",
              commitsPath, commits.damaged());
        }
      } catch (IOException | RuntimeException e) {
        tailChannel.close();
        if (commitsChannel != null) commitsChannel.close();
        throw e;
      }
      boolean torn = scan.tornTail();
      if (torn) {
        LOG.warn("write-ahead log {}: torn group at byte offset {} ({}); it never got its commit marker to disk, so "
            + "it was never acknowledged; truncating {} bytes", tail.file(), scan.tornOffset(), scan.tornReason(),
            tailChannel.size() - scan.validEnd());
      }
      if (scan.validEnd() < tailChannel.size()) {
        // A torn group, or zeros preallocated before a crash: the segment restarts after its last whole group.
        tailChannel.truncate(scan.validEnd());
        tailChannel.force(true);
      }
      lastSnapshotOp = snapOp;
      durableEpoch = sm.fenceEpoch;
      prepareTimestamp = sm.commitTimestamp;
      recovery = new RecoveryInfo(snapOp, replayed[0], opNumber, torn, torn ? scan.tornOffset() : -1,
          torn ? tail.file() : null, (System.nanoTime() - started) / 1_000_000);
      LOG.info("ledger engine opened {}: snapshot at op {}, {} log records replayed, {} ms", dir, snapOp, replayed[0],
          recovery.millis());
      writer = new LogWriter(dir, files, tailChannel, commitsChannel, commits.headerDamaged() ? CommitFile.HEADER
          : commits.appendAt(), tail.firstOp(), scan.validEnd(), opNumber, config.fsync(), this::onFatal);
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

  static Path latestSnapshot(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(LedgerEngine::isSnapshot).max((a, b) -> Long.compare(snapshotOp(a), snapshotOp(b)))
          .orElse(null);
    }
  }

  static boolean isSnapshot(Path p) {
    String n = p.getFileName().toString();
    return n.startsWith(SNAPSHOT_PREFIX) && n.endsWith(SNAPSHOT_SUFFIX);
  }

  static long snapshotOp(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring(SNAPSHOT_PREFIX.length(), n.length() - SNAPSHOT_SUFFIX.length()));
  }

  // =====================================================================================================
  // LedgerBackend
  // =====================================================================================================

  @Override
  public CompletionStage<List<CreateAccountsResult>> createAccounts(List<Account> accounts) {
    if (accounts.size() > BATCH_MAX) return CompletableFuture.failedFuture(new BatchTooLargeException(accounts.size()));
    return createAccountsEncoded(Wire.encodeAccounts(accounts));
  }

  @Override
  public CompletionStage<List<CreateTransfersResult>> createTransfers(List<Transfer> transfers) {
    if (transfers.size() > BATCH_MAX) {
      return CompletableFuture.failedFuture(new BatchTooLargeException(transfers.size()));
    }
    return createTransfersEncoded(Wire.encodeTransfers(transfers));
  }

  @Override
  public CompletionStage<List<CreateAccountsResult>> createAccountsEncoded(ByteBuffer events) {
    CompletableFuture<List<CreateAccountsResult>> f = new CompletableFuture<>();
    ByteBuffer ev = events.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (!checkBatch(ev, f)) return f;
    submit(f, () -> {
      int n = ev.remaining() / 128;
      long t = nextTimestamp(n);
      long expiry = sm.nextExpiry();
      sm.createAccounts(ev, 0, n, t, results);
      List<CreateAccountsResult> out = accountResults();
      append(Wal.OP_CREATE_ACCOUNTS, t, ev, () -> f.complete(out), f);
      afterRequest(expiry, t);
    });
    return f;
  }

  @Override
  public CompletionStage<List<CreateTransfersResult>> createTransfersEncoded(ByteBuffer events) {
    CompletableFuture<List<CreateTransfersResult>> f = new CompletableFuture<>();
    ByteBuffer ev = events.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (!checkBatch(ev, f)) return f;
    submit(f, () -> {
      int n = ev.remaining() / 128;
      long t = nextTimestamp(n);
      long expiry = sm.nextExpiry();
      sm.createTransfers(ev, 0, n, t, results);
      List<CreateTransfersResult> out = transferResults();
      append(Wal.OP_CREATE_TRANSFERS, t, ev, () -> f.complete(out), f);
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

  private List<CreateAccountsResult> accountResults() {
    if (results.count == 0) return List.of();
    List<CreateAccountsResult> out = new ArrayList<>(results.count);
    for (int i = 0; i < results.count; i++) {
      out.add(new CreateAccountsResult(results.index[i], CreateAccountResult.fromCode(results.code[i])));
    }
    return Collections.unmodifiableList(out);
  }

  private List<CreateTransfersResult> transferResults() {
    if (results.count == 0) return List.of();
    List<CreateTransfersResult> out = new ArrayList<>(results.count);
    for (int i = 0; i < results.count; i++) {
      out.add(new CreateTransfersResult(results.index[i], CreateTransferResult.fromCode(results.code[i])));
    }
    return Collections.unmodifiableList(out);
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

  private void writeSnapshot(SnapshotPoint point) {
    StateView view = point.view();
    Path tmp = dir.resolve(SNAPSHOT_PREFIX + String.format("%020d", view.opNumber) + SNAPSHOT_SUFFIX + ".tmp");
    Path target = dir.resolve(SNAPSHOT_PREFIX + String.format("%020d", view.opNumber) + SNAPSHOT_SUFFIX);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE)) {
        StateCodec.writeSnapshot(view, ch);
        // The snapshot may only become visible once the log it summarises is durable.
        if (!writer.awaitDurable(view.opNumber)) return;
        if (config.fsync()) ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      if (config.fsync()) fsyncDirectory(dir);
      lastSnapshotOp = Math.max(lastSnapshotOp, view.opNumber);
      LOG.info("ledger snapshot at op {} written: {}", view.opNumber, target);
      // The segment after the snapshot exists once the rotation is done: then the one before it is covered.
      try {
        point.rotated().get();
      } catch (java.util.concurrent.ExecutionException e) {
        return; // the log failed: the engine has halted; nothing to prune
      }
      prune();
    } catch (IOException e) {
      // A failed fsync is never retried: stop the engine for good.
      LOG.error("ledger snapshot failed; stopping the engine", e);
      onFatal(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Keeps the two newest snapshots and the log after the older of them; removes (or archives) the rest. Segment k
   * ends where segment k+1 begins, so it is covered once the next segment starts at or before the older snapshot's
   * op + 1.
   */
  private void prune() throws IOException {
    // Not the engine's monitor: close() holds that while it waits for the snapshot thread.
    synchronized (pruneLock) {
      pruneLocked();
    }
  }

  private void pruneLocked() throws IOException {
    List<Path> snapshots;
    try (Stream<Path> s = Files.list(dir)) {
      snapshots = s.filter(LedgerEngine::isSnapshot).sorted((a, b) -> Long.compare(snapshotOp(a), snapshotOp(b)))
          .toList();
    }
    if (snapshots.size() < 2) return;
    long covered = snapshotOp(snapshots.get(snapshots.size() - 2));
    List<Wal.Segment> segments = Wal.segments(dir);
    for (int i = 0; i + 1 < segments.size(); i++) {
      if (segments.get(i + 1).firstOp() - 1 > covered) break;
      Path seg = segments.get(i).file();
      Path commits = CommitFile.of(segments.get(i));
      if (config.archive()) {
        Path archive = Files.createDirectories(dir.resolve(ARCHIVE_DIR));
        // The commit file first: a segment never stays behind without its commit file.
        if (Files.exists(commits)) {
          Files.move(commits, archive.resolve(commits.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(seg, archive.resolve(seg.getFileName()), StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.deleteIfExists(commits);
        Files.delete(seg);
      }
      LOG.info("write-ahead log segment {} {} (covered by the snapshot at op {})", seg.getFileName(),
          config.archive() ? "archived" : "deleted", covered);
    }
    for (Path p : snapshots.subList(0, snapshots.size() - 2)) Files.deleteIfExists(p);
    if (config.fsync()) fsyncDirectory(dir);
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory for fsync; the rename itself is still atomic.
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return;
      throw e;
    }
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
