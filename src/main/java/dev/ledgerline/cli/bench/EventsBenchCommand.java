package dev.ledgerline.cli.bench;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.Event;
import dev.ledgerline.events.EventConsumer;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.events.NewEvent;
import dev.ledgerline.events.OutboxRelay;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.node.Logging;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench events}: publishers commit events to the outbox on an embedded PostgreSQL as fast as it
 * takes them, while the relay delivers to pub/sub and to N durable consumers that do nothing else. Reports the relay's
 * throughput (events per second from commit to the slowest consumer) and the lag from a publisher's commit to each
 * delivery (p50, p99), with 1 and with 8 consumers unless told otherwise.
 */
@Command(name = "events", mixinStandardHelpOptions = true,
    description = "Benchmark the outbox relay: throughput and commit-to-delivery lag with 1 and 8 consumers.")
public final class EventsBenchCommand implements Callable<Integer> {
  private static final String TYPE = "bench.happened";

  @Option(names = "--consumers", split = ",", defaultValue = "1,8",
      description = "Durable consumer counts, one run each (default ${DEFAULT-VALUE}).")
  List<Integer> consumerCounts;

  @Option(names = "--publishers", defaultValue = "16", description = "Concurrent publishing transactions.")
  int publishers;

  // Publishers batch: 50 events per transaction, in one statement (publishAll), spread over a million aggregates so
  // that concurrent transactions rarely wait for each other's aggregate rows. Smaller transactions measure the
  // publishers' commits (one fsync each), not the relay.
  @Option(names = "--events-per-tx", defaultValue = "50", description = "Events per publishing transaction.")
  int eventsPerTx;

  @Option(names = "--aggregates", defaultValue = "1000000", description = "Aggregates the events are spread over.")
  int aggregates;

  @Option(names = "--batch-size", defaultValue = "500", description = "The relay's events.batch-size.")
  int batchSize;

  @Mixin
  BenchWindow window = new BenchWindow(10, 2);

  @Option(names = "--backlog", defaultValue = "100000",
      description = "Events committed before the relay starts; their drain measures the relay alone (0 = skip).")
  int backlog;

  @Option(names = "--one-by-one",
      description = "Publish each event with its own statement instead of one statement per transaction.")
  boolean oneByOne;

  /**
   * One run: {@code backlogPerSecond} is the relay alone (a committed backlog drained to every consumer); the rest is
   * the live phase, where publishers and relay run together and the lag is from commit to delivery.
   */
  record Result(int consumers, long backlog, double backlogPerSecond, long published, long delivered, double seconds,
      double eventsPerSecond, double lagP50Ms, double lagP99Ms, double lagMaxMs, double drainSeconds) {
    String json() {
      return String.format(Locale.ROOT, "{\"bench\":\"events\",\"consumers\":%d,\"backlog\":%d,"
          + "\"backlog_events_per_s\":%.0f,\"published\":%d,\"delivered\":%d,\"seconds\":%.3f,\"events_per_s\":%.0f,"
          + "\"lag_p50_ms\":%.2f,\"lag_p99_ms\":%.2f,\"lag_max_ms\":%.2f,\"drain_s\":%.2f}", consumers, backlog,
          backlogPerSecond, published, delivered, seconds, eventsPerSecond, lagP50Ms, lagP99Ms, lagMaxMs,
          drainSeconds);
    }
  }

  @Override
  public Integer call() throws Exception {
    Logging.setLevel("WARN");
    try (BenchPostgres bench = BenchPostgres.start("ledgerline-bench-events-", publishers + 4)) {
      Vertx vertx = bench.vertx();
      DataServices pg = bench.pg();
      for (int n : consumerCounts) {
        Result r = run(vertx, pg, n);
        if (r.backlog() > 0) {
          System.out.printf(Locale.ROOT, "%d consumer(s): relay alone drained a backlog of %,d events at %,.0f "
              + "events/s per consumer%n", r.consumers(), r.backlog(), r.backlogPerSecond());
        }
        System.out.printf(Locale.ROOT, "%d consumer(s), live: %,.0f events/s to the slowest consumer (%,d published, "
            + "%,d delivered in %.1f s), lag p50 %.1f ms, p99 %.1f ms, max %.1f ms; drained %.1f s after the "
            + "publishers stopped%n", r.consumers(), r.eventsPerSecond(), r.published(), r.delivered(), r.seconds(),
            r.lagP50Ms(), r.lagP99Ms(), r.lagMaxMs(), r.drainSeconds());
        System.out.println(r.json());
      }
      return 0;
    }
  }

  private Result run(Vertx vertx, DataServices pg, int consumerCount) throws Exception {
    Pool pool = pg.pool();
    pool.query("TRUNCATE events_outbox, events_aggregates, events_consumers, events_dead, events_processed")
        .execute().await();
    Map<UUID, Long> committedAt = new ConcurrentHashMap<>();
    Histogram lag = new ConcurrentHistogram(TimeUnit.MINUTES.toNanos(10), 3);
    AtomicLong[] delivered = new AtomicLong[consumerCount];
    AtomicLong[] all = new AtomicLong[consumerCount];
    // The measured window [start, end) in nanoTime; volatile reads by the publishers and the consumers.
    AtomicLongArray measured = new AtomicLongArray(new long[] {Long.MAX_VALUE, Long.MAX_VALUE});
    List<EventConsumer> consumers = new ArrayList<>();
    for (int i = 0; i < consumerCount; i++) {
      AtomicLong count = delivered[i] = new AtomicLong();
      AtomicLong total = all[i] = new AtomicLong();
      String name = "bench-" + i;
      consumers.add(new EventConsumer() {
        @Override
        public String name() {
          return name;
        }

        @Override
        public Future<Void> handle(Event event) {
          long now = System.nanoTime();
          total.incrementAndGet();
          if (now >= measured.get(0) && now < measured.get(1)) {
            count.incrementAndGet();
            Long at = committedAt.get(event.id());
            if (at != null) lag.recordValue(Math.max(0, now - at));
          }
          return Future.succeededFuture();
        }
      });
    }
    LedgerlineConfig.Events settings = new LedgerlineConfig.Events(65536, 10, Duration.ofHours(1),
        Duration.ofSeconds(1), batchSize, Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(30), 1);
    OutboxRelay relay = new OutboxRelay(vertx, pool, pg.postgresUrl().orElseThrow().connectOptions(), settings,
        consumers);
    EventPublisher publisher = new EventPublisher(EventTypes.of(Map.of(TYPE, 1)), 65536);

    double backlogRate = 0;
    if (backlog > 0) {
      int perTx = 1000;
      List<Future<Void>> fills = new ArrayList<>();
      for (int t = 0; t < (backlog + perTx - 1) / perTx; t++) {
        int n = Math.min(perTx, backlog - t * perTx);
        List<NewEvent> events = spread(n, "bench-backlog");
        fills.add(pool.withTransaction(tx -> publish(publisher, tx, events)).mapEmpty());
        if (fills.size() == publishers) {
          Future.all(fills).await();
          fills.clear();
        }
      }
      Future.all(fills).await();
      long start = System.nanoTime();
      relay.start().await();
      while (java.util.Arrays.stream(all).anyMatch(a -> a.get() < backlog)) {
        if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) throw new IllegalStateException("backlog stuck");
        Thread.sleep(5); // polling the drain, not synchronisation
      }
      backlogRate = backlog / ((System.nanoTime() - start) / 1e9);
    } else {
      relay.start().await();
    }

    AtomicLong published = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    List<Future<Void>> loops = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      int seed = p;
      loops.add(publishLoop(pool, publisher, seed, stop, committedAt, published, measured));
    }
    window.measure(() -> measured.set(0, System.nanoTime()), () -> measured.set(1, System.nanoTime()));
    stop.set(true);
    Future.all(loops).await();
    long stopped = System.nanoTime();
    while (relay.lag().await().stream().anyMatch(l -> l.events() > 0)) {
      if (System.nanoTime() - stopped > TimeUnit.SECONDS.toNanos(120)) break;
      Thread.sleep(20); // polling the drain, not synchronisation
    }
    double drain = (System.nanoTime() - stopped) / 1e9;
    relay.stop().await();
    double seconds = (measured.get(1) - measured.get(0)) / 1e9;
    long slowest = Long.MAX_VALUE;
    for (AtomicLong d : delivered) slowest = Math.min(slowest, d.get());
    return new Result(consumerCount, backlog, backlogRate, published.get(), slowest, seconds, slowest / seconds,
        lag.getValueAtPercentile(50) / 1e6, lag.getValueAtPercentile(99) / 1e6, lag.getMaxValue() / 1e6, drain);
  }

  /**
   * Events over random aggregates, in aggregate order: publishing locks each aggregate's sequence row until commit,
   * so transactions that touch several aggregates take them in one order, as any publisher should, or deadlock.
   */
  private List<NewEvent> spread(int n, String source) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<NewEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      events.add(NewEvent.of(TYPE, String.format("agg-%08d", random.nextInt(aggregates)), source,
          new JsonObject().put("n", i)));
    }
    events.sort(Comparator.comparing(NewEvent::aggregateId));
    return events;
  }

  /** A transaction's events: in one statement ({@code publishAll}), or one statement each with --one-by-one. */
  private Future<Void> publish(EventPublisher publisher, io.vertx.sqlclient.SqlConnection tx, List<NewEvent> events) {
    if (!oneByOne) return publisher.publishAll(tx, events).mapEmpty();
    Future<Event> chain = Future.succeededFuture();
    for (NewEvent e : events) chain = chain.compose(x -> publisher.publish(tx, e));
    return chain.mapEmpty();
  }

  private Future<Void> publishLoop(Pool pool, EventPublisher publisher, int seed, AtomicBoolean stop,
      Map<UUID, Long> committedAt, AtomicLong published, AtomicLongArray window) {
    if (stop.get()) return Future.succeededFuture();
    List<NewEvent> events = spread(eventsPerTx, "bench-" + seed);
    return pool.withTransaction(tx -> publish(publisher, tx, events)).compose(x -> {
      long now = System.nanoTime();
      if (now >= window.get(0)) {
        for (NewEvent e : events) committedAt.put(e.id(), now);
      }
      published.addAndGet(events.size());
      return publishLoop(pool, publisher, seed, stop, committedAt, published, window);
    });
  }
}
