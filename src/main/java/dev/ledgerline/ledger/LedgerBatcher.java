package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns many small create requests into few large backend batches, one batch in flight at a time.
 *
 * <p>Requests queue in arrival order. When no batch is in flight, everything queued is submitted at once, up to
 * {@code maxEvents}, taking only consecutive requests of the same kind. A request is never split, so a linked chain
 * never is either. Each request gets back exactly the results it would get alone:
 * <ul>
 *   <li>a request whose last event is {@code linked} (an open chain) ends its batch, so the chain cannot run into the
 *       next request's events ({@code linked_event_chain_open} stays its own);</li>
 *   <li>TigerBeetle decides {@code imported} by the first event of a batch, so a batch only holds requests whose
 *       first events agree;</li>
 *   <li>results (failures only, ascending index) are split by request and re-indexed to the request's own events.</li>
 * </ul>
 *
 * <p>Not thread-safe: every method runs on one thread (the verticle's context); backend completions, which may
 * arrive on any thread, are handed back through {@code context}. Reads do not queue behind writes: they go to the
 * backend at once and only share its deadline handling.
 */
public final class LedgerBatcher {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerBatcher.class);

  /** Where an answer goes: the event-bus message in the verticle, a future in tests. */
  public interface Reply<T> {
    void succeed(T value);

    /** {@code code} is one of {@code LedgerApi.FAILURE_*}. */
    void fail(int code, String message);

    /**
     * True for a caller that sends the same request again until it hears a result, and must not have it run twice: a
     * TigerBeetle client on the wire listener. A batch in flight is then never timed out under it (its result comes
     * when the batch ends, as from a replica), and it is held to {@link LedgerBackend#BATCH_MAX}, not to the
     * reloadable {@code max-events}: its request size was fixed when its session was registered.
     */
    default boolean retriesUntilAnswered() {
      return false;
    }

    /** {@code reply}, for a caller that {@link #retriesUntilAnswered retries until answered}. */
    static <T> Reply<T> untilAnswered(Reply<T> reply) {
      return new Reply<>() {
        @Override
        public void succeed(T value) {
          reply.succeed(value);
        }

        @Override
        public void fail(int code, String message) {
          reply.fail(code, message);
        }

        @Override
        public boolean retriesUntilAnswered() {
          return true;
        }
      };
    }
  }

  /** Timers on the owning context. */
  public interface Timers {
    long setTimer(long delayMillis, Runnable action);

    long setPeriodic(long periodMillis, Runnable action);

    void cancel(long id);
  }

  /** The tunables; {@code maxEvents} and {@code linger} may change while running ({@link #reconfigure}). */
  public record Settings(int maxEvents, Duration linger, int queueMaxEvents, Duration timeout) {
    public Settings {
      if (maxEvents < 1 || maxEvents > LedgerBackend.BATCH_MAX) {
        throw new IllegalArgumentException("ledger.batch.max-events must be 1.." + LedgerBackend.BATCH_MAX);
      }
      if (queueMaxEvents < 1) throw new IllegalArgumentException("ledger.queue.max-events must be positive");
      if (linger.isNegative()) throw new IllegalArgumentException("ledger.batch.linger must not be negative");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("ledger.request-timeout must be positive");
      }
    }
  }

  /** A queued or in-flight create request; a batch holds requests of one operation only. */
  private static final class Pending<E extends Event, R extends EventResult> {
    final Operation<E, R> op;
    final boolean imported;
    final List<E> events;
    final int size;
    final long arrival;
    final long deadline;
    final boolean endsOpenChain;
    final Reply<List<R>> reply;
    /** The requester's span, for the batch's links (null without tracing). */
    final io.opentelemetry.api.trace.SpanContext trace;
    int offset;
    boolean answered;

    Pending(Operation<E, R> op, List<E> events, long arrival, long deadline, Reply<List<R>> reply,
        io.opentelemetry.api.trace.SpanContext trace) {
      this.op = op;
      this.trace = trace;
      this.events = events;
      this.size = events.size();
      this.imported = op.imported(events);
      this.endsOpenChain = op.endsOpenChain(events);
      this.arrival = arrival;
      this.deadline = deadline;
      this.reply = reply;
    }
  }

  /** A read in flight, for its deadline. */
  private static final class PendingRead {
    final String operation;
    final List<UInt128> ids;
    final long deadline;
    final Reply<Object> reply;
    boolean answered;

    @SuppressWarnings("unchecked")
    PendingRead(String operation, List<UInt128> ids, long deadline, Reply<?> reply) {
      this.operation = operation;
      this.ids = ids;
      this.deadline = deadline;
      this.reply = (Reply<Object>) reply;
    }
  }

  private final LedgerBackend backend;
  private final Executor context;
  private final Timers timers;
  private final LongSupplier nanoClock;
  private final LedgerMetrics metrics;
  private final ArrayDeque<Pending<?, ?>> queue = new ArrayDeque<>();
  private final ArrayDeque<PendingRead> reads = new ArrayDeque<>();
  private final long sweepTimer;

  private volatile int maxEvents;
  private long lingerNanos;
  private volatile int queueMaxEvents;
  private final long timeoutNanos;
  private final Duration timeout;

  private volatile int queuedEvents;
  private volatile int queuedRequests;
  private List<Pending<?, ?>> inFlight;
  private volatile long inFlightSince;
  private long lingerTimer = -1;
  private boolean closed;
  private Runnable onIdle;
  private long batches;
  private java.util.function.Consumer<List<Transfer>> committed;
  /** Null while writes may go to the backend, else why not (the ledger lease); asked before every batch. */
  private Supplier<String> writeGate = () -> null;
  private BatchSpans spans = BatchSpans.OFF;

  public LedgerBatcher(LedgerBackend backend, Settings settings, Executor context, Timers timers,
      LongSupplier nanoClock, MeterRegistry registry) {
    this.backend = backend;
    this.context = context;
    this.timers = timers;
    this.nanoClock = nanoClock;
    this.maxEvents = settings.maxEvents();
    this.lingerNanos = settings.linger().toNanos();
    this.queueMaxEvents = settings.queueMaxEvents();
    this.timeout = settings.timeout();
    this.timeoutNanos = settings.timeout().toNanos();
    this.metrics = new LedgerMetrics(registry, () -> queuedEvents, () -> queuedRequests);
    // One sweep timer instead of a timer per request: deadlines are checked a few times per timeout period.
    long sweep = Math.max(1, Math.min(50, settings.timeout().toMillis() / 10));
    this.sweepTimer = timers.setPeriodic(sweep, this::expire);
  }

  /** Traces each batch with {@code tracer}, linked to the spans of the requests it carries. */
  public void tracer(io.opentelemetry.api.trace.Tracer tracer) {
    this.spans = new BatchSpans(tracer);
  }

  /**
   * Called on the batcher's context after each durable transfer batch with the transfers whose result was ok, in
   * batch order (including those whose caller already timed out: they are committed all the same).
   */
  public void onCommitted(java.util.function.Consumer<List<Transfer>> listener) {
    this.committed = listener;
  }

  /**
   * Sets the check made on admission and again before every batch leaves: while it returns a reason, writes are
   * refused with {@link LedgerApi#FAILURE_NOT_LEADER} and nothing reaches the backend.
   */
  public void writeGate(Supplier<String> gate) {
    this.writeGate = gate;
  }

  // =====================================================================================================
  // Writes
  // =====================================================================================================

  public void createTransfers(List<Transfer> transfers, Reply<List<CreateTransfersResult>> reply) {
    create(Operation.CREATE_TRANSFERS, transfers, reply);
  }

  public void createAccounts(List<Account> accounts, Reply<List<CreateAccountsResult>> reply) {
    create(Operation.CREATE_ACCOUNTS, accounts, reply);
  }

  /** Queues one create request; it is answered with its own failures, indexed from its first event. */
  public <E extends Event, R extends EventResult> void create(Operation<E, R> operation, List<E> events,
      Reply<List<R>> reply) {
    String op = operation.address();
    int n = events.size();
    if (closed) {
      reply.fail(LedgerApi.FAILURE_UNAVAILABLE, op + ": the ledger is stopping; nothing was executed");
      return;
    }
    String refused = writeGate.get();
    if (refused != null) {
      reply.fail(LedgerApi.FAILURE_NOT_LEADER, notLeader(op, refused));
      return;
    }
    if (n == 0) {
      // An empty request is legal and has no effect.
      reply.succeed(List.of());
      return;
    }
    if (n > (reply.retriesUntilAnswered() ? LedgerBackend.BATCH_MAX : maxEvents)) {
      metrics.tooLarge();
      reply.fail(LedgerApi.FAILURE_BATCH_TOO_LARGE, op + ": request of " + n + " events exceeds "
          + "ledger.batch.max-events = " + maxEvents + "; requests are never split, send at most " + maxEvents);
      return;
    }
    // A request always fits an empty queue; otherwise the queue bound holds.
    if (queuedEvents > 0 && (long) queuedEvents + n > queueMaxEvents) {
      metrics.overloaded();
      reply.fail(LedgerApi.FAILURE_OVERLOADED, op + ": ledger overloaded (" + queuedEvents
          + " events queued, ledger.queue.max-events = " + queueMaxEvents + "); nothing was executed, retry later");
      return;
    }
    long now = nanoClock.getAsLong();
    queue.addLast(new Pending<>(operation, events, now, now + timeoutNanos, reply, spans.capture()));
    queuedEvents += n;
    queuedRequests++;
    maybeFlush();
  }

  private static String notLeader(String op, String why) {
    return op + ": not_leader: " + why + "; nothing was executed";
  }

  private void maybeFlush() {
    if (inFlight != null || queue.isEmpty()) return;
    if (lingerNanos == 0 || queuedEvents >= maxEvents) {
      flush();
      return;
    }
    // Linger: the oldest queued request waits at most `linger` for company.
    long wait = queue.peekFirst().arrival + lingerNanos - nanoClock.getAsLong();
    if (wait <= 0) {
      flush();
    } else if (lingerTimer < 0) {
      lingerTimer = timers.setTimer(Math.max(1, (wait + 999_999) / 1_000_000), () -> {
        lingerTimer = -1;
        if (inFlight == null && !queue.isEmpty()) flush();
      });
    }
  }

  private void flush() {
    if (lingerTimer >= 0) {
      timers.cancel(lingerTimer);
      lingerTimer = -1;
    }
    String refused = writeGate.get();
    if (refused != null) {
      // The lease ran out while these waited: none of them reaches the backend.
      while (!queue.isEmpty()) {
        Pending<?, ?> p = queue.pollFirst();
        queuedEvents -= p.size;
        queuedRequests--;
        p.answered = true;
        p.reply.fail(LedgerApi.FAILURE_NOT_LEADER, notLeader(p.op.address(), refused));
      }
      return;
    }
    Pending<?, ?> head = queue.peekFirst();
    List<Pending<?, ?>> batch = new ArrayList<>();
    int events = 0;
    int limit = maxEvents;
    while (!queue.isEmpty()) {
      Pending<?, ?> p = queue.peekFirst();
      if (p.op != head.op || p.imported != head.imported) break;
      // The head always goes (max-events may have shrunk after it was admitted; it is within BATCH_MAX).
      if (!batch.isEmpty() && events + p.size > limit) break;
      queue.pollFirst();
      p.offset = events;
      batch.add(p);
      events += p.size;
      queuedEvents -= p.size;
      queuedRequests--;
      if (p.endsOpenChain) break;
    }
    inFlight = batch;
    submit(head, batch, events);
  }

  /** Sends the batch; {@link #flush} took only requests of the head's operation. */
  @SuppressWarnings("unchecked")
  private <E extends Event, R extends EventResult> void submit(Pending<E, R> head, List<Pending<?, ?>> requests,
      int total) {
    Operation<E, R> op = head.op;
    List<Pending<E, R>> batch = (List<Pending<E, R>>) (List<?>) requests;
    long started = nanoClock.getAsLong();
    inFlightSince = started;
    io.opentelemetry.api.trace.Span span = spans.start(op.tbName(), batch.stream().map(p -> p.trace).toList());
    CompletionStage<List<R>> stage;
    try {
      stage = op.create(backend, concat(batch, total));
    } catch (RuntimeException e) {
      stage = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    // The backend may complete on its own thread: hop back before touching any state.
    stage.whenComplete((results, err) -> context.execute(() -> {
      BatchSpans.end(span, total, nanoClock.getAsLong() - started, span == null ? -1 : backend.lastSyncNanos(), err);
      completed(op, batch, total, started, results, err);
    }));
  }

  private static <E extends Event> List<E> concat(List<? extends Pending<E, ?>> batch, int total) {
    if (batch.size() == 1) return batch.get(0).events;
    List<E> all = new ArrayList<>(total);
    for (Pending<E, ?> p : batch) all.addAll(p.events);
    return all;
  }

  private <E extends Event, R extends EventResult> void completed(Operation<E, R> op, List<Pending<E, R>> batch,
      int events, long started, List<R> results, Throwable err) {
    long took = nanoClock.getAsLong() - started;
    inFlight = null;
    inFlightSince = 0;
    batches++;
    metrics.batch(op, events, took);
    if (err != null) {
      failBatch(batch, err);
    } else {
      deliver(op, batch, events, results);
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("ledger batch {}: {} {} requests, {} events, {} failures, {} us, {} events still queued",
          batches, op.tbName(), batch.size(), events,
          err != null ? "all (" + err + ")" : String.valueOf(results.size()), took / 1000, queuedEvents);
    }
    if (queue.isEmpty() && inFlight == null && onIdle != null) {
      Runnable r = onIdle;
      onIdle = null;
      r.run();
      return;
    }
    maybeFlush();
  }

  /** Splits the batch's failures by request, re-indexed to each request's own events. */
  private <E extends Event, R extends EventResult> void deliver(Operation<E, R> op, List<Pending<E, R>> batch,
      int events, List<R> results) {
    int ri = 0;
    int failures = results.size();
    metrics.results(op, results, events);
    if (op == Operation.CREATE_TRANSFERS && committed != null && failures < events) {
      committed.accept(okEvents(batch, results, events));
    }
    for (Pending<E, R> p : batch) {
      int end = p.offset + p.size;
      List<R> mine = null;
      while (ri < failures) {
        R r = results.get(ri);
        if (r.index() >= end) break;
        ri++;
        if (mine == null) mine = new ArrayList<>();
        mine.add(op.rebase(r, p.offset));
      }
      if (p.answered) continue; // timed out earlier: the caller already has "outcome unknown"
      p.answered = true;
      p.reply.succeed(mine == null ? List.of() : mine);
    }
  }

  /** The batch's events whose result was ok, in batch order (only transfers are published). */
  @SuppressWarnings("unchecked")
  private static <T> List<T> okEvents(List<? extends Pending<?, ?>> batch, List<? extends EventResult> failures,
      int events) {
    java.util.BitSet failed = new java.util.BitSet();
    for (EventResult r : failures) failed.set(r.index());
    List<T> ok = new ArrayList<>(events - failures.size());
    int index = 0;
    for (Pending<?, ?> p : batch) {
      for (Object e : p.events) {
        if (!failed.get(index++)) ok.add((T) e);
      }
    }
    return ok;
  }

  private void failBatch(List<? extends Pending<?, ?>> batch, Throwable err) {
    Throwable cause = unwrap(err);
    int code;
    String what;
    if (cause instanceof LedgerOutcomeUnknownException) {
      code = LedgerApi.FAILURE_OUTCOME_UNKNOWN;
      what = "the ledger halted before it could confirm the write (" + cause.getMessage()
          + "); outcome unknown, look the ids up";
    } else if (cause instanceof LedgerUnavailableException) {
      code = LedgerApi.FAILURE_UNAVAILABLE;
      what = "ledger unavailable, nothing in the request was acknowledged: " + cause.getMessage();
    } else if (cause instanceof BatchTooLargeException) {
      code = LedgerApi.FAILURE_BATCH_TOO_LARGE;
      what = cause.getMessage();
    } else {
      // Anything else may have happened after the backend applied the batch: never report "failed".
      code = LedgerApi.FAILURE_TIMEOUT;
      what = "ledger backend failed (" + cause + "); outcome unknown, look the ids up";
    }
    LOG.warn("ledger batch of {} requests failed: {}", batch.size(), cause.toString());
    for (Pending<?, ?> p : batch) {
      if (p.answered) continue;
      p.answered = true;
      p.reply.fail(code, p.op.address() + ": " + what);
    }
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
    return t;
  }

  // =====================================================================================================
  // Reads: straight to the backend, with the same deadline
  // =====================================================================================================

  /**
   * Runs a lookup or query now. {@code ids} name what was asked (for the timeout error); {@code call} starts it.
   */
  public <T> void read(String operation, List<UInt128> ids, Supplier<CompletionStage<T>> call, Reply<T> reply) {
    if (closed) {
      reply.fail(LedgerApi.FAILURE_UNAVAILABLE, operation + ": the ledger is stopping");
      return;
    }
    PendingRead r = new PendingRead(operation, ids, nanoClock.getAsLong() + timeoutNanos, reply);
    reads.addLast(r);
    CompletionStage<T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      stage = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    stage.whenComplete((value, err) -> context.execute(() -> {
      if (r.answered) return;
      r.answered = true;
      if (err == null) {
        r.reply.succeed(value);
        return;
      }
      Throwable cause = unwrap(err);
      int code = cause instanceof LedgerUnavailableException ? LedgerApi.FAILURE_UNAVAILABLE
          : cause instanceof BatchTooLargeException ? LedgerApi.FAILURE_BATCH_TOO_LARGE : LedgerApi.FAILURE_INTERNAL;
      r.reply.fail(code, operation + ": " + cause.getMessage());
    }));
  }

  // =====================================================================================================
  // Deadlines, settings, lifecycle
  // =====================================================================================================

  /** Answers every request whose deadline passed; runs on the sweep timer. */
  void expire() {
    long now = nanoClock.getAsLong();
    // Deadlines grow in arrival order, so expired requests are at the head of the queue. They never reach the
    // backend, but callers hear the same "outcome unknown" as for in-flight ones: one rule, look the ids up.
    while (!queue.isEmpty() && queue.peekFirst().deadline - now <= 0) {
      Pending<?, ?> p = queue.pollFirst();
      queuedEvents -= p.size;
      queuedRequests--;
      timeOut(p);
    }
    if (inFlight != null) {
      for (Pending<?, ?> p : inFlight) {
        if (!p.answered && p.deadline - now <= 0 && !p.reply.retriesUntilAnswered()) timeOut(p);
      }
    }
    while (!reads.isEmpty() && (reads.peekFirst().answered || reads.peekFirst().deadline - now <= 0)) {
      PendingRead r = reads.pollFirst();
      if (r.answered) continue;
      r.answered = true;
      metrics.timedOut();
      r.reply.fail(LedgerApi.FAILURE_TIMEOUT, r.operation + ": no answer from the ledger within " + timeout);
    }
    if (closed && queue.isEmpty() && inFlight == null && onIdle != null) {
      Runnable r = onIdle;
      onIdle = null;
      r.run();
    }
  }

  private void timeOut(Pending<?, ?> p) {
    p.answered = true;
    metrics.timedOut();
    p.reply.fail(LedgerApi.FAILURE_TIMEOUT, p.op.address() + ": no result within " + timeout
        + "; outcome unknown, look the ids up");
  }

  /** Applies reloaded {@code ledger.batch.*} (and the queue bound); later batches use them. */
  public void reconfigure(int maxEvents, Duration linger, int queueMaxEvents) {
    if (maxEvents < 1 || maxEvents > LedgerBackend.BATCH_MAX) {
      throw new IllegalArgumentException("max-events must be 1.." + LedgerBackend.BATCH_MAX);
    }
    this.maxEvents = maxEvents;
    this.lingerNanos = linger.toNanos();
    this.queueMaxEvents = queueMaxEvents;
    maybeFlush();
  }

  /** Refuses new requests; {@code whenIdle} runs once the queue is drained and no batch is in flight. */
  public void close(Runnable whenIdle) {
    closed = true;
    if (queue.isEmpty() && inFlight == null) {
      timers.cancel(sweepTimer);
      whenIdle.run();
      return;
    }
    onIdle = () -> {
      timers.cancel(sweepTimer);
      whenIdle.run();
    };
  }

  public int maxEvents() {
    return maxEvents;
  }

  public int queuedEvents() {
    return queuedEvents;
  }

  public int queuedRequests() {
    return queuedRequests;
  }

  /** Nanoseconds the current batch has been in flight, or 0. */
  public long inFlightNanos() {
    long since = inFlightSince;
    return since == 0 ? 0 : nanoClock.getAsLong() - since;
  }
}
