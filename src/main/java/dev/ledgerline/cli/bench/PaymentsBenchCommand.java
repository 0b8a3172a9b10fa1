package dev.ledgerline.cli.bench;

import dev.ledgerline.node.Logging;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.ConsumerLag;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.infra.temporal.TemporalService;
import dev.ledgerline.node.Node;
import dev.ledgerline.transactions.TransactionEventHandler;
import dev.ledgerline.users.Role;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.workflow.Saga;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench payments}: N clients each send {@code POST /v1/payments} and wait for that payment's
 * {@code completed}, then send the next, against one node on embedded defaults (in-process Temporal, the embedded
 * sandbox settling at once). Reports completed sagas per second and the latency from POST to {@code completed}
 * (p50, p99), per concurrency. A 429 from admission is counted and retried after 50 ms; the latency of a
 * payment counts from its accepted POST.
 *
 * <p>{@code --baseline}: the same in-process Temporal server and worker settings running a five-step saga whose
 * activities do nothing (each with its compensation registered), the ceiling the payment saga sits on.
 *
 * <p>{@code --prime}: the payments runs come first in the JVM, so without priming they pay for the JIT's compiling
 * of everything the saga touches (minutes of C2 backlog on two cores), and the baseline after them finds Temporal's
 * paths compiled. Priming runs both loads on throwaway servers first, and the measured runs then start on a fresh
 * node and a fresh Temporal server each (the in-process server slows as it accumulates finished workflows).
 */
@Command(name = "payments", mixinStandardHelpOptions = true,
    description = "Benchmark the payment saga end to end (POST to completed), with an optional no-op saga baseline.")
public final class PaymentsBenchCommand implements Callable<Integer> {
  private static final String BASELINE_QUEUE = "bench-baseline";
  private static final int PRIME_CLIENTS = 4;

  @Option(names = "--concurrency", split = ",", defaultValue = "4,16,64",
      description = "Concurrent clients, one run each (default ${DEFAULT-VALUE}).")
  List<Integer> concurrency;

  @Mixin
  BenchWindow window = new BenchWindow(20, 3);

  @Option(names = "--baseline", description = "Also run the no-op five-step saga on in-process Temporal.")
  boolean baseline;

  @Option(names = "--breakdown",
      description = "After each payments run, print the median and p99 time of each saga step (from the rows), and "
          + "the CPU, PostgreSQL transactions and rows written per completed payment.")
  boolean breakdown;

  @Option(names = "--prime", defaultValue = "0",
      description = "Seconds of payment load (and, with --baseline, of the no-op saga) on a throwaway node and Temporal"
          + " server before the measured runs, which then start on a fresh node and server with the JIT warm: steady"
          + " state on both sides (default ${DEFAULT-VALUE}: none; the runs then start with a cold JIT).")
  int primeSeconds;

  @Option(names = "--max-in-flight", defaultValue = "-1",
      description = "payments.max-in-flight for the node (default: the configured production default).")
  int maxInFlight;

  /** One run's figures. */
  record Result(String what, int clients, long completed, double seconds, Histogram latency, long refused) {
    double perSecond() {
      return completed / seconds;
    }

    void print(String prefix) {
      System.out.printf(Locale.ROOT, "%s%-9s %3d clients: %6.1f sagas/s, p50 %7.1f ms, p99 %7.1f ms, max "
              + "%7.1f ms (%,d completed in %.1f s, %,d refused with 429)%n", prefix, what, clients, perSecond(),
          latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6,
          latency.getMaxValue() / 1e6, completed, seconds, refused);
    }
  }

  @Override
  public Integer call() throws Exception {
    Logging.setLevel("WARN");
    if (primeSeconds > 0) {
      // Unmeasured: the JIT compiles the saga's paths (Temporal, gRPC, the pools, the sandbox) on throwaway servers.
      System.out.printf(Locale.ROOT, "priming for %d s on a throwaway node%s (not measured)%n", primeSeconds,
          baseline ? " and a throwaway baseline server" : "");
      session(List.of(PRIME_CLIENTS), new BenchWindow(primeSeconds, 0), false, "(priming) ");
    }
    List<Result> results = session(concurrency, window, breakdown, "");
    JsonArray json = new JsonArray();
    for (Result r : results) {
      json.add(new JsonObject().put("run", r.what()).put("clients", r.clients())
          .put("sagas_per_s", Math.round(r.perSecond() * 10) / 10.0)
          .put("p50_ms", Math.round(r.latency().getValueAtPercentile(50) / 1e5) / 10.0)
          .put("p99_ms", Math.round(r.latency().getValueAtPercentile(99) / 1e5) / 10.0)
          .put("refused", r.refused()));
    }
    System.out.println(new JsonObject().put("bench", "payments").put("prime_s", primeSeconds).put("runs", json)
        .encode());
    return 0;
  }

  /**
   * One node on embedded defaults in a fresh directory: the payments runs, one per client count, then (with
   * {@code --baseline}) the no-op saga's runs on a fresh in-process Temporal server; printed as they end.
   */
  private List<Result> session(List<Integer> clients, BenchWindow w, boolean withBreakdown, String prefix)
      throws Exception {
    Path dir = Files.createTempDirectory("ledgerline-bench-payments-");
    Map<String, String> sets = BenchNodes.settings(dir);
    int gatewayPort = BenchNodes.gatewayPort(sets);
    sets.put("temporal.target", "inprocess");
    // The zero-latency sandbox: a transfer settles at once, and the saga asks for it often.
    sets.put("providers.sandbox.port", "0");
    sets.put("providers.sandbox.settle-after", "0ms");
    sets.put("payments.settlement-poll", "20ms");
    if (maxInFlight >= 0) sets.put("payments.max-in-flight", String.valueOf(maxInFlight));
    ConfigService config = ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), sets));
    Node node = new Node(config).start().await();
    List<Result> results = new ArrayList<>();
    try {
      LedgerlineConfig cfg = config.current();
      String user = BenchHttp.token(cfg, "bench-payer", Role.USER);
      String operator = BenchHttp.token(cfg, "bench-operator", Role.OPERATOR);
      int most = clients.stream().mapToInt(Integer::intValue).max().orElse(1);
      BenchHttp http = BenchHttp.loopback(node.vertx(), gatewayPort, most + 4);
      String funder = http.post("/v1/accounts", operator, new JsonObject().put("ledger", 1).put("code", 1), 201)
          .getString("id");
      // One payer account and one bank link per client: a sandbox checking account holds 100.00, and each payment
      // debits 0.01 of it, so no run drains one.
      List<String> payers = new ArrayList<>();
      List<String> links = new ArrayList<>();
      for (int i = 0; i < most; i++) {
        String publicToken = node.providers().plaid().sandboxPublicToken("ins_109508", List.of("transfer")).await();
        links.add(http.post("/v1/linked-accounts", user, new JsonObject().put("public_token", publicToken), 201)
            .getString("id"));
        String payer = http.post("/v1/accounts", user, new JsonObject().put("ledger", 1).put("code", 1), 201)
            .getString("id");
        http.post("/v1/transfers", operator, new JsonObject().put("debit_account_id", funder)
            .put("credit_account_id", payer).put("amount", "1000000000000").put("ledger", 1).put("code", 1), 201);
        payers.add(payer);
      }
      Completions completions = new Completions(node.vertx());
      CpuCensus census = withBreakdown ? CpuCensus.of(node.services().pool()) : null;
      for (int c : clients) {
        settle(node, prefix);
        Instant from = Instant.now();
        List<String> cost = new ArrayList<>();
        Result r = paymentsRun(node.vertx(), http, user, links.subList(0, c), payers.subList(0, c), completions, w,
            census, cost);
        r.print(prefix);
        results.add(r);
        if (withBreakdown) {
          printBreakdown(node, from);
          cost.forEach(line -> System.out.println("  " + line));
        }
      }
      completions.close();
      if (baseline) {
        settle(node, prefix);
        TemporalService temporal = TemporalService.start(node.vertx(), cfg.temporal(), "bench-baseline",
            BASELINE_QUEUE, worker -> {
              worker.registerWorkflowImplementationTypes(NoopSagaImpl.class);
              worker.registerActivitiesImplementations(new NoopStepsImpl());
            }).await();
        try {
          for (int c : clients) {
            List<String> cost = new ArrayList<>();
            Result r = baselineRun(temporal, c, w, census, cost);
            r.print(prefix);
            results.add(r);
            cost.forEach(line -> System.out.println("  " + line));
          }
        } finally {
          temporal.stop().await();
        }
      }
      http.close();
    } finally {
      node.stop().join();
      deleteRecursively(dir);
    }
    return results;
  }

  /**
   * Waits until the node has done what the runs before left it (the outbox relay's consumers and the search indexer
   * caught up, within two minutes), so that the next run's window is not charged with that work; says how long.
   */
  private static void settle(Node node, String prefix) throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.MINUTES.toNanos(2);
    if (node.indexer() != null) node.indexer().caughtUp().timeout(2, TimeUnit.MINUTES).await();
    long behind = 0;
    if (node.relay() != null) {
      while ((behind = node.relay().lag().await().stream().mapToLong(ConsumerLag::events).sum()) > 0
          && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(100);
      }
    }
    System.out.printf(Locale.ROOT, "%s(node settled in %.1f s%s)%n", prefix, (System.nanoTime() - t0) / 1e9,
        behind > 0 ? "; " + behind + " events still undelivered after two minutes" : "");
  }

  /** {@code census}, when not null: what the measured window cost per completed payment goes into {@code cost}. */
  private Result paymentsRun(Vertx vertx, BenchHttp http, String token, List<String> links, List<String> payers,
      Completions completions, BenchWindow window, CpuCensus census, List<String> cost) throws InterruptedException {
    LatencyTally tally = new LatencyTally(TimeUnit.MINUTES.toNanos(5));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong active = new AtomicLong(payers.size());
    Promise<Void> drained = Promise.promise();
    for (int i = 0; i < payers.size(); i++) {
      String payer = payers.get(i);
      String link = links.get(i);
      vertx.runOnContext(v -> paymentLoop(vertx, http, token, link, payer, completions, tally, running, active,
          drained));
    }
    double seconds = CpuCensus.measure(census, tally, window, "completed payment", cost);
    running.set(false);
    drained.future().timeout(5, TimeUnit.MINUTES).await();
    return new Result("payments", payers.size(), tally.completed(), seconds, tally.latency(), tally.refused());
  }

  /**
   * Where a completed payment's time goes: each recorded state change's distance from the one before it (the first
   * from the row's creation), median and p99 over the run's completed payments. A change is stamped when the
   * workflow records it, so each line holds the step before it and the previous record's write.
   */
  private static void printBreakdown(Node node, Instant from) {
    String sql = "WITH s AS (SELECT p.id, p.created_at, p.updated_at, (e->>'at')::timestamptz AS at, "
        + "e->>'event' AS event, i FROM payments p, jsonb_array_elements(p.steps) WITH ORDINALITY AS x(e, i) "
        + "WHERE p.status = 'completed' AND p.created_at >= $1), "
        + "g AS (SELECT i, event, extract(epoch FROM at - coalesce(lag(at) OVER (PARTITION BY id ORDER BY i), "
        + "created_at)) * 1000 AS ms FROM s UNION ALL SELECT 99, '(last record written)', "
        + "extract(epoch FROM max(updated_at) - max(at)) * 1000 FROM s GROUP BY id) "
        + "SELECT i, event, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), "
        + "percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), count(*) FROM g GROUP BY i, event ORDER BY i";
    var rows = node.services().pool().preparedQuery(sql)
        .execute(io.vertx.sqlclient.Tuple.of(from.atOffset(java.time.ZoneOffset.UTC))).await();
    for (var row : rows) {
      System.out.printf(Locale.ROOT, "  %-28s p50 %7.1f ms  p99 %7.1f ms  (%d)%n", row.getString(1),
          row.getDouble(2), row.getDouble(3), row.getLong(4));
    }
  }

  /** One client: POST, wait for completed, again; a 429 waits 50 ms and retries. */
  private static void paymentLoop(Vertx vertx, BenchHttp http, String token, String link, String payer,
      Completions completions, LatencyTally tally, AtomicBoolean running, AtomicLong active, Promise<Void> drained) {
    if (!running.get()) {
      if (active.decrementAndGet() == 0) drained.tryComplete();
      return;
    }
    Runnable next = () -> paymentLoop(vertx, http, token, link, payer, completions, tally, running, active, drained);
    long t0 = System.nanoTime();
    JsonObject body = new JsonObject().put("from_account_id", payer).put("amount", "1").put("ledger", 1)
        .put("code", 1).put("provider", "plaid").put("linked_account_id", link);
    http.send("/v1/payments", token, body).onComplete(ar -> {
      if (ar.failed() || ar.result().statusCode() == 429) {
        if (ar.succeeded()) tally.recordRefusal();
        vertx.setTimer(50, t -> next.run());
        return;
      }
      if (ar.result().statusCode() != 202) {
        System.err.println("bench: POST /v1/payments answered " + ar.result().statusCode() + ": "
            + ar.result().bodyAsString());
        vertx.setTimer(100, t -> next.run());
        return;
      }
      String id = ar.result().bodyAsJsonObject().getString("id");
      completions.await(id).onComplete(done -> {
        if (done.succeeded() && "completed".equals(done.result())) {
          tally.recordCompletion(t0);
        } else if (done.succeeded()) {
          System.err.println("bench: payment " + id + " ended " + done.result());
        }
        next.run();
      });
    });
  }

  private Result baselineRun(TemporalService temporal, int clients, BenchWindow window, CpuCensus census,
      List<String> cost) throws Exception {
    LatencyTally tally = new LatencyTally(TimeUnit.MINUTES.toNanos(5));
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    for (int i = 0; i < clients; i++) {
      pool.submit(() -> {
        while (running.get()) {
          long t0 = System.nanoTime();
          NoopSaga saga = temporal.client().newWorkflowStub(NoopSaga.class, WorkflowOptions.newBuilder()
              .setTaskQueue(BASELINE_QUEUE).setWorkflowId("bench-" + UUID.randomUUID()).build());
          try {
            saga.run();
          } catch (RuntimeException e) {
            continue;
          }
          tally.recordCompletion(t0);
        }
        return null;
      });
    }
    double seconds = CpuCensus.measure(census, tally, window, "no-op saga", cost);
    running.set(false);
    pool.shutdown();
    pool.awaitTermination(5, TimeUnit.MINUTES);
    return new Result("baseline", clients, tally.completed(), seconds, tally.latency(), 0);
  }

  /** The outcome of each payment, heard from the relay's pub/sub of {@code transaction.updated}. */
  static final class Completions {
    private final Map<String, Promise<String>> waiting = new ConcurrentHashMap<>();
    private final Map<String, String> early = new ConcurrentHashMap<>();
    private final io.vertx.core.eventbus.MessageConsumer<JsonObject> consumer;

    Completions(Vertx vertx) {
      consumer = vertx.eventBus().<JsonObject>consumer(EventTypes.address(TransactionEventHandler.UPDATED), m -> {
        JsonObject p = m.body().getJsonObject("payload");
        String status = p == null ? null : p.getString("status");
        if (status == null || !Set.of("completed", "compensated", "failed", "needs_attention").contains(status)) {
          return;
        }
        String id = p.getString("id");
        Promise<String> w = waiting.remove(id);
        if (w != null) {
          w.tryComplete(status);
        } else {
          early.put(id, status);
        }
      });
    }

    Future<String> await(String id) {
      Promise<String> p = Promise.promise();
      waiting.put(id, p);
      String done = early.remove(id);
      if (done != null && waiting.remove(id) != null) p.tryComplete(done);
      return p.future();
    }

    void close() {
      consumer.unregister();
    }
  }

  /** The baseline's saga: five steps, each with its compensation registered first, as the payment saga does. */
  @WorkflowInterface
  public interface NoopSaga {
    @WorkflowMethod
    void run();
  }

  /** Five activities that do nothing. */
  @ActivityInterface
  public interface NoopSteps {
    void step1();

    void step2();

    void step3();

    void step4();

    void step5();

    void undo();
  }

  public static final class NoopStepsImpl implements NoopSteps {
    @Override
    public void step1() {}

    @Override
    public void step2() {}

    @Override
    public void step3() {}

    @Override
    public void step4() {}

    @Override
    public void step5() {}

    @Override
    public void undo() {}
  }

  public static final class NoopSagaImpl implements NoopSaga {
    private final NoopSteps steps = Workflow.newActivityStub(NoopSteps.class,
        ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());

    @Override
    public void run() {
      Saga saga = new Saga(new Saga.Options.Builder().build());
      saga.addCompensation(steps::undo);
      steps.step1();
      saga.addCompensation(steps::undo);
      steps.step2();
      saga.addCompensation(steps::undo);
      steps.step3();
      saga.addCompensation(steps::undo);
      steps.step4();
      steps.step5();
    }
  }

  static void deleteRecursively(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("bench: could not delete " + dir + ": " + e.getMessage());
    }
  }
}
