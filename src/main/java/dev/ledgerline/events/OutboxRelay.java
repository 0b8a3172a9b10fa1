package dev.ledgerline.events;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.infra.postgres.ArrayColumns;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers committed outbox rows: to pub/sub (event-bus {@code publish} on {@code events.<type>}, across the cluster)
 * and to each durable {@link EventConsumer}, every one with its own cursor in PostgreSQL.
 *
 * <ul>
 *   <li>At least once: a cursor moves only after its batch was delivered (or parked), so a relay that dies in between
 *       delivers the batch again and consumers dedupe by event id.
 *   <li>In order per aggregate: rows are read in (order_xid, position) order, and only once no transaction that could
 *       still add an earlier row is running (see V9__events_outbox.sql). A consumer's events go one at a time.
 *   <li>A failing event is retried with exponential backoff; after {@code events.max-attempts} it is parked in
 *       {@code events_dead}, and the aggregate's later events are parked behind it, so a redelivery keeps the order.
 *   <li>One relay per cluster: the active one holds a PostgreSQL advisory lock on one connection, and every write it
 *       makes (cursors, parked events) goes through that connection. A relay that lost it can write nothing more.
 *       The others retry the lock every {@code events.poll-interval}.
 *   <li>It wakes on NOTIFY (sent at commit by a trigger on the outbox) and polls every {@code events.poll-interval} in
 *       case a notification was lost.
 *   <li>Consumers' loops at the same cursor share one read of a batch, and the cursors that moved are written together
 *       (see docs/events.md, "Shared reads").
 * </ul>
 */
public final class OutboxRelay {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);

  /** Advisory lock key of the active relay (ASCII "LLEVRELY"). */
  static final long LOCK_KEY = 0x4C4C_4556_5245_4C59L;
  /** Cursor name of the pub/sub feed. */
  public static final String PUBSUB = "pubsub";
  static final String CHANNEL = "ledgerline_events";

  private static final String COLUMNS = "position, order_xid, event_id, event_type, aggregate_id, aggregate_seq, "
      + "occurred_at, correlation_id, causation_id, source, payload";
  private static final String RECORD_CURSORS = "UPDATE events_consumers c SET cursor_xid = u.xid, "
      + "cursor_pos = u.pos, updated_at = now() FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(name, xid, pos) "
      + "WHERE c.name = u.name AND (c.cursor_xid, c.cursor_pos) < (u.xid, u.pos)";
  // Also reads the committed rows that are not readable yet (an older transaction still runs), only to learn that
  // they are there: ordered by order_xid, the readable rows are a prefix of the answer.
  private static final String FETCH = "SELECT " + COLUMNS + ", order_xid < s.xmin AS readable FROM events_outbox, "
      + "(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin) s "
      + "WHERE (order_xid, position) > ($1, $2) ORDER BY order_xid, position LIMIT $3";
  /** First wait before reading again when committed rows wait for an older transaction; it doubles up to the poll. */
  private static final long RECHECK_FIRST_MS = 2;

  private final Vertx vertx;
  private final Pool pool;
  private final PgConnectOptions connectOptions;
  private final LedgerlineConfig.Events settings;
  private final Map<String, EventConsumer> consumers = new LinkedHashMap<>();

  private Context context;
  /** The active relay's connection: it holds the lock, listens, and makes every write. */
  private PgConnection connection;
  /** A standby's connection, kept to ask for the lock again without reconnecting each time. */
  private PgConnection candidate;
  /** Grows with every activation: loops of an older one stop at their next step. */
  private long generation;
  private boolean stopped = true;
  /** Stopping: no new batch starts, the batches in delivery finish and record their cursors. */
  private boolean draining;
  private long pollTimer = -1;
  private long retryTimer = -1;
  private long purgeTimer = -1;
  private final Map<String, Loop> loops = new LinkedHashMap<>();
  private final BatchReads reads = new BatchReads();
  /** The cursor write in flight (null when none), and whether a loop moved since it was sent. */
  private Future<Void> cursorWrite;
  private boolean cursorsMovedAgain;

  public OutboxRelay(Vertx vertx, Pool pool, PgConnectOptions connectOptions, LedgerlineConfig.Events settings,
      List<EventConsumer> durable) {
    this.vertx = vertx;
    this.pool = pool;
    this.connectOptions = connectOptions;
    this.settings = settings;
    consumers.put(PUBSUB, new PubSub(vertx));
    for (EventConsumer c : durable) {
      if (consumers.putIfAbsent(c.name(), c) != null) {
        throw new IllegalArgumentException("two consumers named " + c.name());
      }
    }
  }

  /** A relay on the node's PostgreSQL with {@code events.*} from its configuration. */
  public static OutboxRelay create(Vertx vertx, dev.ledgerline.infra.DataServices services,
      LedgerlineConfig config, List<EventConsumer> durable) {
    return new OutboxRelay(vertx, services.pool(), services.postgresUrl().orElseThrow().connectOptions(),
        config.events(), durable);
  }

  /** Starts trying to become the cluster's active relay; completes once the first attempt is done. */
  public Future<Void> start() {
    Promise<Void> started = Promise.promise();
    context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      stopped = false;
      draining = false;
      pollTimer = vertx.setPeriodic(settings.pollInterval().toMillis(), t -> wakeAll());
      long purgeEvery = Math.max(1000, Math.min(settings.retention().toMillis(), 60_000));
      purgeTimer = vertx.setPeriodic(purgeEvery, t -> purge());
      activate().onComplete(ar -> started.complete());
    });
    return started.future();
  }

  /**
   * Stops: lets the batches in delivery finish and record their cursors (for at most {@code events.delivery-timeout};
   * a batch whose event fails again stops there), then gives up the lock. Whatever was not recorded is delivered
   * again by the next active relay.
   */
  public Future<Void> stop() {
    Promise<Void> done = Promise.promise();
    if (context == null) return Future.succeededFuture();
    context.runOnContext(v -> {
      draining = true;
      vertx.cancelTimer(pollTimer);
      vertx.cancelTimer(retryTimer);
      vertx.cancelTimer(purgeTimer);
      long deadline = System.nanoTime() + settings.deliveryTimeout().toNanos();
      vertx.setPeriodic(1, 10, timer -> {
        if (loops.values().stream().anyMatch(l -> l.running) && System.nanoTime() - deadline < 0) return;
        vertx.cancelTimer(timer);
        cursorsRecorded().onComplete(recorded -> {
          stopped = true;
          draining = false;
          deactivate("stopped").onComplete(ar -> done.complete());
        });
      });
    });
    return done.future();
  }

  /** Whether this instance is the cluster's active relay right now. */
  public boolean active() {
    return connection != null && !loops.isEmpty();
  }

  private Future<Void> activate() {
    if (stopped || draining || connection != null) return Future.succeededFuture();
    long gen = ++generation;
    return candidateConnection().compose(conn ->
        conn.preparedQuery("SELECT pg_try_advisory_lock($1)").execute(Tuple.of(LOCK_KEY)).compose(rows -> {
          if (stopped || gen != generation) {
            candidate = null;
            return conn.close().map(false);
          }
          if (!rows.iterator().next().getBoolean(0)) return Future.succeededFuture(false);
          candidate = null;
          connection = conn;
          conn.notificationHandler(n -> context.runOnContext(y -> wakeAll()));
          // The relay's own writes (cursors, parked events) need no fsync each: losing the last ones in a crash only
          // means delivering those events again, and WAL order keeps a parked event and the cursor past it together.
          return conn.query("SET synchronous_commit TO off").execute()
              .compose(r -> conn.query("LISTEN " + CHANNEL).execute())
              .compose(r -> loadLoops(conn, gen)).map(true);
        }).recover(err -> {
          if (candidate == conn) candidate = null;
          return conn.close().transform(x -> Future.failedFuture(err));
        }))
        .onSuccess(activeNow -> {
          if (activeNow) {
            LOG.info("event relay active: {} consumers", consumers.size());
            wakeAll();
          } else {
            retryLater();
          }
        })
        .onFailure(err -> {
          if (connection != null && gen == generation) {
            lost(err.getMessage());
          } else {
            LOG.debug("event relay not active: {}", err.getMessage());
            retryLater();
          }
        })
        .mapEmpty();
  }

  private Future<PgConnection> candidateConnection() {
    if (candidate != null) return Future.succeededFuture(candidate);
    return PgConnection.connect(vertx, connectOptions).map(conn -> {
      candidate = conn;
      conn.closeHandler(x -> context.runOnContext(y -> {
        if (candidate == conn) candidate = null;
        if (connection == conn) lost("connection closed");
      }));
      return conn;
    });
  }

  private void retryLater() {
    if (stopped || draining) return;
    vertx.cancelTimer(retryTimer);
    retryTimer = vertx.setTimer(settings.pollInterval().toMillis(), t -> activate());
  }

  private void lost(String why) {
    LOG.warn("event relay inactive: {}; retrying", why);
    deactivate(why).onComplete(ar -> retryLater());
  }

  private Future<Void> deactivate(String why) {
    generation++;
    loops.clear();
    reads.clear();
    cursorsMovedAgain = false;
    PgConnection conn = connection;
    connection = null;
    PgConnection standby = stopped ? candidate : null;
    if (standby != null) candidate = null;
    Future<Void> closed = conn == null ? Future.succeededFuture() : conn.close().otherwiseEmpty();
    return standby == null ? closed : closed.compose(v -> standby.close().otherwiseEmpty());
  }

  private Future<Void> loadLoops(PgConnection conn, long gen) {
    List<String> names = new ArrayList<>(consumers.keySet());
    return conn.preparedQuery("INSERT INTO events_consumers (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING")
        .execute(Tuple.of(names.toArray(new String[0])))
        .compose(x -> conn.preparedQuery("SELECT name, cursor_xid, cursor_pos FROM events_consumers "
            + "WHERE name = ANY($1)").execute(Tuple.of(names.toArray(new String[0]))))
        .compose(rows -> conn.preparedQuery("SELECT DISTINCT consumer, aggregate_id FROM events_dead "
            + "WHERE consumer = ANY($1)").execute(Tuple.of(names.toArray(new String[0])))
            .map(dead -> {
              if (gen != generation) return null;
              for (Row r : rows) {
                loops.put(r.getString("name"), new Loop(consumers.get(r.getString("name")), gen,
                    r.getLong("cursor_xid"), r.getLong("cursor_pos")));
              }
              for (Row d : dead) loops.get(d.getString("consumer")).parked.add(d.getString("aggregate_id"));
              return null;
            }));
  }

  private void wakeAll() {
    if (stopped) return;
    if (connection == null) {
      return;
    }
    for (Loop loop : loops.values()) loop.wake();
  }

  /**
   * Writes the cursors of the loops that moved since their last write, all in one statement and one statement at a
   * time: loops that move meanwhile go into the next one. Loops do not wait for it. A cursor is only ever written
   * after its events were delivered, and one lost with the relay's session (or a crash) only means those events are
   * delivered again, which at least once allows.
   */
  private void recordCursors() {
    if (cursorWrite != null) {
      cursorsMovedAgain = true;
      return;
    }
    PgConnection conn = connection;
    if (conn == null) return;
    List<Loop> moved = new ArrayList<>();
    for (Loop l : loops.values()) if (l.unrecorded()) moved.add(l);
    if (moved.isEmpty()) return;
    String[] names = ArrayColumns.of(moved, l -> l.consumer.name(), String[]::new);
    Long[] xids = ArrayColumns.of(moved, l -> l.cursorXid, Long[]::new);
    Long[] positions = ArrayColumns.of(moved, l -> l.cursorPos, Long[]::new);
    long gen = generation;
    cursorsMovedAgain = false;
    Promise<Void> written = Promise.promise();
    cursorWrite = written.future();
    conn.preparedQuery(RECORD_CURSORS).execute(Tuple.of(names, xids, positions))
        .onComplete(ar -> context.runOnContext(v -> {
          cursorWrite = null;
          if (ar.succeeded()) {
            for (int i = 0; i < moved.size(); i++) {
              moved.get(i).recordedXid = xids[i];
              moved.get(i).recordedPos = positions[i];
            }
          } else if (gen == generation && connection != null) {
            lost("recording cursors: " + ar.cause().getMessage());
          }
          written.complete();
          if (cursorsMovedAgain) recordCursors();
        }));
  }

  /** Completes once every cursor that moved is written (or the session that would write it is gone). */
  private Future<Void> cursorsRecorded() {
    if (cursorWrite != null) return cursorWrite.compose(v -> cursorsRecorded());
    if (connection == null || loops.values().stream().noneMatch(Loop::unrecorded)) return Future.succeededFuture();
    recordCursors();
    return cursorWrite == null ? Future.succeededFuture() : cursorWrite.compose(v -> cursorsRecorded());
  }

  /**
   * Outbox rows after one cursor position, decoded, in delivery order; the last row's position is the next cursor.
   * {@code waiting}: committed rows follow that cannot be read yet because an older transaction is still running.
   */
  private record Batch(List<Event> events, long lastXid, long lastPos, boolean waiting) {}

  /**
   * Batches read for one consumer's loop, shared with the others that reach the same cursor (they usually move
   * together): one read and one decoding per batch instead of one per consumer. Sharing is sound because a batch is
   * final once read: it holds only rows below the oldest running transaction, and no row can later appear between two
   * of them (see V9__events_outbox.sql). An empty answer is not kept, so the next wake reads again.
   */
  private final class BatchReads {
    private final Map<List<Long>, Future<Batch>> byCursor = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<List<Long>, Future<Batch>> eldest) {
        return size() > 2 * Math.max(1, consumers.size());
      }
    };

    Future<Batch> after(PgConnection conn, long xid, long pos) {
      List<Long> key = List.of(xid, pos);
      Future<Batch> known = byCursor.get(key);
      if (known != null) return known;
      Future<Batch> read = conn.preparedQuery(FETCH).execute(Tuple.of(xid, pos, settings.batchSize())).map(rows -> {
        List<Event> events = new ArrayList<>(rows.size());
        long lastXid = xid;
        long lastPos = pos;
        boolean waiting = false;
        for (Row r : rows) {
          if (!r.getBoolean("readable")) {
            waiting = true;
            break;
          }
          events.add(Event.fromRow(r));
          lastXid = r.getLong("order_xid");
          lastPos = r.getLong("position");
        }
        return new Batch(events, lastXid, lastPos, waiting);
      });
      Future<Batch> onContext = onContext(read);
      byCursor.put(key, onContext);
      onContext.onComplete(ar -> {
        if ((ar.failed() || ar.result().events().isEmpty()) && byCursor.get(key) == onContext) byCursor.remove(key);
      });
      return onContext;
    }

    void clear() {
      byCursor.clear();
    }
  }

  /** One consumer's delivery loop: read a batch after its cursor, deliver it in order, move the cursor, repeat. */
  private final class Loop {
    final EventConsumer consumer;
    final long gen;
    long cursorXid;
    long cursorPos;
    boolean running;
    boolean wakeAgain;
    /** The next wait before reading again while committed rows wait for an older transaction (0: none pending). */
    long recheckDelay;
    long recheckTimer = -1;
    final Set<String> parked = new HashSet<>();

    /** The cursor as last written to {@code events_consumers}. */
    long recordedXid;
    long recordedPos;

    Loop(EventConsumer consumer, long gen, long cursorXid, long cursorPos) {
      this.consumer = consumer;
      this.gen = gen;
      this.cursorXid = recordedXid = cursorXid;
      this.cursorPos = recordedPos = cursorPos;
    }

    boolean current() {
      return !stopped && gen == generation && connection != null;
    }

    /** Whether the cursor moved past what PostgreSQL holds for it. */
    boolean unrecorded() {
      return cursorXid != recordedXid || cursorPos != recordedPos;
    }

    boolean mayStart() {
      return current() && !draining;
    }

    void wake() {
      if (running) {
        wakeAgain = true;
        return;
      }
      running = true;
      wakeAgain = false;
      round();
    }

    void round() {
      if (!mayStart()) {
        running = false;
        return;
      }
      PgConnection conn = connection;
      reads.after(conn, cursorXid, cursorPos)
          .compose(batch -> {
            if (batch.events().isEmpty()) {
              if (batch.waiting()) recheckLater();
              else recheckDelay = 0;
              return Future.succeededFuture(false);
            }
            recheckDelay = 0;
            return deliverAll(conn, batch.events(), 0).map(v -> {
              cursorXid = batch.lastXid();
              cursorPos = batch.lastPos();
              recordCursors();
              return true;
            });
          })
          .onComplete(ar -> context.runOnContext(v -> {
            if (ar.failed()) {
              running = false;
              if (current()) lost(consumer.name() + ": " + ar.cause().getMessage());
            } else if (ar.result() || wakeAgain) {
              wakeAgain = false;
              round();
            } else {
              running = false;
            }
          }));
    }

    /**
     * Reads again soon when committed rows wait only for an older transaction to end. That transaction may write no
     * outbox row, so no NOTIFY would come at its end, and waiting for the poll would add up to a whole
     * {@code events.poll-interval} to the event. The wait doubles from a few milliseconds up to the poll interval.
     */
    void recheckLater() {
      long poll = settings.pollInterval().toMillis();
      recheckDelay = recheckDelay == 0 ? RECHECK_FIRST_MS : Math.min(poll, recheckDelay * 2);
      if (recheckDelay >= poll) return; // the poll timer takes over
      vertx.cancelTimer(recheckTimer);
      recheckTimer = vertx.setTimer(recheckDelay, t -> {
        recheckTimer = -1;
        if (current()) wake();
      });
    }

    /** Delivers batch[from..] in order; goes on in place while deliveries complete at once (no deep recursion). */
    Future<Void> deliverAll(PgConnection conn, List<Event> batch, int from) {
      int i = from;
      while (i < batch.size()) {
        if (!current()) return Future.failedFuture("relay no longer active");
        Event shared = batch.get(i);
        // The batch is shared with the other consumers' loops: each durable consumer gets a payload of its own.
        Future<Void> delivered = deliverOne(conn, consumer instanceof PubSub ? shared : shared.withPayloadCopy());
        int next = ++i;
        if (!delivered.isComplete()) return delivered.compose(v -> deliverAll(conn, batch, next));
        if (delivered.failed()) return delivered;
      }
      return Future.succeededFuture();
    }

    Future<Void> deliverOne(PgConnection conn, Event event) {
      if (!parked.contains(event.aggregateId())) return attempt(conn, event, 1);
      // Parked events of this aggregate may have been redelivered since (on any node): ask before holding it back.
      return conn.preparedQuery("SELECT id FROM events_dead WHERE consumer = $1 AND aggregate_id = $2 "
              + "ORDER BY aggregate_seq LIMIT 1").execute(Tuple.of(consumer.name(), event.aggregateId()))
          .compose(rows -> {
            if (rows.size() == 0) {
              parked.remove(event.aggregateId());
              return attempt(conn, event, 1);
            }
            return park(conn, event, 0, "held behind parked event " + rows.iterator().next().getLong("id")
                + " of the same aggregate");
          });
    }

    Future<Void> attempt(PgConnection conn, Event event, int attempt) {
      Future<Void> handled = invoke(consumer, event);
      // The common case, a consumer that is done at once on the relay's context: no futures to chain.
      if (handled.isComplete() && handled.succeeded() && Vertx.currentContext() == context) return handled;
      if (!handled.isComplete()) {
        handled = handled.timeout(settings.deliveryTimeout().toMillis(), TimeUnit.MILLISECONDS);
      }
      return onContext(handled).recover(err -> {
        if (!mayStart()) return Future.failedFuture("relay no longer active");
        if (attempt >= settings.maxAttempts()) {
          LOG.warn("event {} ({}) parked for consumer {} after {} attempts: {}", event.id(), event.type(),
              consumer.name(), attempt, err.toString());
          return park(conn, event, attempt, String.valueOf(err));
        }
        Promise<Void> later = Promise.promise();
        vertx.setTimer(backoff(attempt), t -> attempt(conn, event, attempt + 1).onComplete(later));
        return later.future();
      });
    }

    Future<Void> park(PgConnection conn, Event event, int attempts, String error) {
      parked.add(event.aggregateId());
      return conn.preparedQuery("INSERT INTO events_dead (consumer, event_id, event_type, aggregate_id, "
              + "aggregate_seq, occurred_at, correlation_id, causation_id, source, payload, attempts, error) "
              + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12) ON CONFLICT DO NOTHING")
          .execute(Tuple.from(new Object[] {consumer.name(), event.id(), event.type(), event.aggregateId(),
              event.sequence(), Event.utc(event.occurredAt()), event.correlationId(), event.causationId(),
              event.source(), event.payload(), attempts, error}))
          .mapEmpty();
    }
  }

  /** The wait before attempt {@code attempt + 1}: initial × 2^(attempt-1), at most the configured maximum. */
  long backoff(int attempt) {
    long initial = settings.backoffInitial().toMillis();
    long max = settings.backoffMax().toMillis();
    int shift = Math.min(attempt - 1, 30);
    return Math.max(1, Math.min(max, initial << shift));
  }

  private static Future<Void> invoke(EventConsumer consumer, Event event) {
    try {
      Future<Void> f = consumer.handle(event);
      return f == null ? Future.failedFuture("consumer returned no future") : f;
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Consumers may complete on any thread or context: the relay's state is only touched on its own. */
  private <T> Future<T> onContext(Future<T> f) {
    if (f.isComplete() && Vertx.currentContext() == context) return f;
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> context.runOnContext(v -> p.handle(ar)));
    return p.future();
  }

  /** Marks rows every consumer has passed as delivered, then deletes those delivered longer than the retention. */
  Future<Void> purge() {
    if (connection == null || loops.isEmpty()) return Future.succeededFuture();
    PgConnection conn = connection;
    return conn.preparedQuery("UPDATE events_outbox SET delivered_at = now() WHERE delivered_at IS NULL "
            + "AND (order_xid, position) <= (SELECT cursor_xid, cursor_pos FROM events_consumers WHERE name = ANY($1) "
            + "ORDER BY cursor_xid, cursor_pos LIMIT 1)")
        .execute(Tuple.of((Object) consumers.keySet().toArray(new String[0])))
        .compose(r -> conn.preparedQuery("DELETE FROM events_outbox "
                + "WHERE delivered_at < now() - make_interval(secs => $1)")
            .execute(Tuple.of(settings.retention().toMillis() / 1000.0)))
        .compose(r -> conn.preparedQuery("DELETE FROM events_processed WHERE processed_at < now() "
            + "- make_interval(secs => $1)").execute(Tuple.of(settings.retention().toMillis() / 1000.0)))
        .onFailure(err -> LOG.debug("outbox purge failed: {}", err.getMessage()))
        .mapEmpty();
  }

  /**
   * How far each consumer is behind: committed events after its cursor, the age of the oldest of them, and its parked
   * events. Any node can ask, active or not.
   */
  public Future<List<ConsumerLag>> lag() {
    return pool.preparedQuery("SELECT c.name, count(o.position) AS events, min(o.created_at) AS oldest, now() AS now, "
            + "(SELECT count(*) FROM events_dead d WHERE d.consumer = c.name) AS parked "
            + "FROM events_consumers c LEFT JOIN events_outbox o ON (o.order_xid, o.position) > (c.cursor_xid, "
            + "c.cursor_pos) WHERE c.name = ANY($1) GROUP BY c.name ORDER BY c.name")
        .execute(Tuple.of((Object) consumers.keySet().toArray(new String[0])))
        .map(rows -> {
          List<ConsumerLag> out = new ArrayList<>();
          for (Row r : rows) {
            Instant now = r.getOffsetDateTime("now").toInstant();
            Instant oldest = r.getOffsetDateTime("oldest") == null ? now : r.getOffsetDateTime("oldest").toInstant();
            out.add(new ConsumerLag(r.getString("name"), r.getLong("events"), Duration.between(oldest, now),
                r.getLong("parked")));
          }
          return out;
        });
  }

  /**
   * For /health/ready: whether this instance is the active relay, whether any relay in the cluster holds the lock,
   * and each consumer's lag. Fails when PostgreSQL cannot be reached.
   */
  public Future<RelayStatus> status() {
    boolean here = active();
    // The session-level advisory lock on one bigint shows in pg_locks as its high and low 32 bits.
    return pool.preparedQuery("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            + "AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1)")
        .execute(Tuple.of(LOCK_KEY >>> 32, LOCK_KEY & 0xFFFF_FFFFL))
        .compose(rows -> {
          boolean held = rows.iterator().next().getBoolean(0);
          return lag().map(lags -> new RelayStatus(here, held, lags));
        });
  }

  /** The most recently parked events of every consumer, newest first (the operator console shows them). */
  public Future<List<DeadEvent>> recentlyParked(int limit) {
    return deadRows("SELECT * FROM events_dead ORDER BY id DESC LIMIT $1", Tuple.of(limit));
  }

  /** Parked events, oldest first; {@code consumer} null means all consumers. */
  public Future<List<DeadEvent>> dead(String consumer, int limit) {
    return dead(consumer, 0, limit);
  }

  /** Parked events with an id above {@code afterId}, oldest first; {@code consumer} null means all consumers. */
  public Future<List<DeadEvent>> dead(String consumer, long afterId, int limit) {
    return deadRows("SELECT * FROM events_dead WHERE ($1::text IS NULL OR consumer = $1) AND id > $2 "
        + "ORDER BY id LIMIT $3", Tuple.of(consumer, afterId, limit));
  }

  private Future<List<DeadEvent>> deadRows(String sql, Tuple args) {
    return pool.preparedQuery(sql).execute(args).map(rows -> {
      List<DeadEvent> out = new ArrayList<>();
      for (Row r : rows) out.add(deadOf(r));
      return out;
    });
  }

  /**
   * Delivers a parked event once more, to its consumer on this node. On success it leaves {@code events_dead}; on
   * failure it stays, with the new error. Refused while an earlier event of the same aggregate is parked for that
   * consumer: redeliver that one first.
   */
  public Future<Void> redeliver(long deadId) {
    return pool.preparedQuery("SELECT * FROM events_dead WHERE id = $1").execute(Tuple.of(deadId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new DeadEventException(DeadEventException.Reason.NOT_FOUND,
            "no parked event " + deadId));
      }
      DeadEvent dead = deadOf(rows.iterator().next());
      EventConsumer consumer = consumers.get(dead.consumer());
      if (consumer == null) {
        return Future.failedFuture(new DeadEventException(DeadEventException.Reason.UNKNOWN_CONSUMER,
            "parked event " + deadId + " belongs to consumer " + dead.consumer() + ", which this node does not run"));
      }
      return pool.preparedQuery("SELECT id FROM events_dead WHERE consumer = $1 AND aggregate_id = $2 "
              + "AND aggregate_seq < $3 ORDER BY aggregate_seq LIMIT 1")
          .execute(Tuple.of(dead.consumer(), dead.event().aggregateId(), dead.event().sequence()))
          .compose(earlier -> {
            if (earlier.size() > 0) {
              return Future.failedFuture(new DeadEventException(DeadEventException.Reason.EARLIER_EVENT_PARKED,
                  "redeliver parked event " + earlier.iterator().next().getLong("id") + " first: it is earlier in "
                  + "the same aggregate"));
            }
            return invoke(consumer, dead.event()).transform(ar -> ar.succeeded()
                ? pool.preparedQuery("DELETE FROM events_dead WHERE id = $1").execute(Tuple.of(deadId))
                    .<Void>mapEmpty()
                : pool.preparedQuery("UPDATE events_dead SET attempts = attempts + 1, error = $2 WHERE id = $1")
                    .execute(Tuple.of(deadId, String.valueOf(ar.cause())))
                    .compose(x -> Future.<Void>failedFuture(new DeadEventException(
                        DeadEventException.Reason.DELIVERY_FAILED, "the consumer failed again: " + ar.cause(),
                        ar.cause()))));
          });
    });
  }

  private static DeadEvent deadOf(Row r) {
    return new DeadEvent(r.getLong("id"), r.getString("consumer"), Event.fromRow(r), r.getInteger("attempts"),
        r.getString("error"), r.getOffsetDateTime("parked_at").toInstant());
  }

  /** The pub/sub feed: one cluster-wide event-bus publish per event; subscribers come and go. */
  private static final class PubSub implements EventConsumer {
    private final Vertx vertx;

    PubSub(Vertx vertx) {
      this.vertx = vertx;
    }

    @Override
    public String name() {
      return PUBSUB;
    }

    @Override
    public Future<Void> handle(Event event) {
      vertx.eventBus().publish(EventTypes.address(event.type()), event.toJson());
      return Future.succeededFuture();
    }
  }
}
