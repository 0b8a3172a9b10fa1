package dev.ledgerline.chaos;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.users.Role;
import dev.ledgerline.gateway.auth.TokenIssuer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Crash cycles through the public API: a node in a child JVM on embedded defaults takes concurrent single-transfer
 * requests over HTTP and is killed with SIGKILL at a random moment; after each restart every acknowledged transfer must
 * exist with its amount and accounts, nothing never sent may exist, debits must equal credits, and retrying an
 * acknowledged request with its key must change nothing. Used by {@code ledgerline chaos} and by the test suite.
 */
public final class CrashCycles {
  /** What one run needs; {@code seed} decides the kill moments and the traffic. */
  public record Settings(Path dir, int cycles, int connections, int accounts, long seed, List<String> javaCommand) {}

  /** One broken promise found after a restart. */
  public record Violation(int cycle, String what) {}

  /** The outcome: violations (none when the node kept every promise) and what was sent and acknowledged. */
  public record Report(List<Violation> violations, int sent, int acknowledged, int unacknowledgedFound) {}

  private record Sent(long id, long debit, long credit, long amount, String key) {}

  private static final String SUBJECT = "chaos";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final Settings settings;
  private final PrintStream log;
  private final Random random;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<Long, Sent> sent = new ConcurrentHashMap<>();
  private final Set<Long> acked = ConcurrentHashMap.newKeySet();
  private final List<Violation> violations = new ArrayList<>();
  private final int gatewayPort;
  private final int managementPort;
  private final Path config;
  private String token;
  private int unackedFound;

  public CrashCycles(Settings settings, PrintStream log) throws IOException {
    this.settings = settings;
    this.log = log;
    this.random = new Random(settings.seed());
    this.gatewayPort = freePort();
    this.managementPort = freePort();
    Files.createDirectories(settings.dir());
    // Where the embedded PostgreSQL runs as an unprivileged user, it must be able to pass through.
    Files.setPosixFilePermissions(settings.dir(), PosixFilePermissions.fromString("rwx--x--x"));
    Path data = settings.dir().toAbsolutePath().resolve("data");
    this.config = settings.dir().resolve("chaos.yaml");
    // The run's own configuration: generous rate limits (this is a crash test, not a limit test), absolute paths.
    Files.writeString(config, String.join("\n",
        "node:",
        "  data-dir: \"" + data + "\"",
        "management:",
        "  port: " + managementPort,
        "gateway:",
        "  port: " + gatewayPort,
        "  rate-limits:",
        "    default: {capacity: 1000000, refill-per-second: 1000000}",
        "postgres:",
        "  data-dir: \"" + data.resolve("pg") + "\"",
        "ledger:",
        "  engine:",
        "    data-dir: \"" + data.resolve("ledger") + "\"",
        ""));
  }

  public Report run() throws Exception {
    for (int cycle = 1; cycle <= settings.cycles(); cycle++) {
      Process node = start(cycle);
      try {
        awaitReady(node);
        if (cycle == 1) {
          token = sign();
          createAccounts();
        } else {
          verify(cycle - 1);
        }
        loadAndKill(cycle, node);
      } finally {
        node.destroyForcibly();
        node.waitFor(60, TimeUnit.SECONDS);
      }
    }
    Process node = start(settings.cycles() + 1);
    try {
      awaitReady(node);
      verify(settings.cycles());
      node.destroy(); // a clean stop at the end
      node.waitFor(60, TimeUnit.SECONDS);
    } finally {
      node.destroyForcibly();
    }
    return new Report(List.copyOf(violations), sent.size(), acked.size(), unackedFound);
  }

  private Process start(int run) throws IOException {
    List<String> cmd = new ArrayList<>(settings.javaCommand());
    cmd.addAll(List.of("run", "--config", config.toAbsolutePath().toString()));
    return new ProcessBuilder(cmd).directory(settings.dir().toFile()).redirectErrorStream(true)
        .redirectOutput(settings.dir().resolve("node-" + run + ".log").toFile()).start();
  }

  private void awaitReady(Process node) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
    while (true) {
      if (!node.isAlive()) throw new IllegalStateException("the node exited with " + node.exitValue() + "; see "
          + settings.dir() + "/node-*.log");
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
            + "/health/ready")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException e) {
        // Not listening yet.
      }
      if (Instant.now().isAfter(deadline)) throw new IllegalStateException("the node was not ready within 180 s");
      Thread.sleep(100); // polling interval only
    }
  }

  private String sign() {
    LedgerlineConfig cfg = ConfigService.load(ConfigService.Source.of(config, Map.of())).current();
    return TokenIssuer.issue(JwtSettings.from(cfg), SUBJECT, Set.of(Role.USER), Duration.ofHours(2), Instant.now());
  }

  private HttpResponse<String> call(String method, String path, String body, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path))
        .timeout(REQUEST_TIMEOUT).header("Authorization", "Bearer " + token);
    if (body != null) b.header("Content-Type", "application/json");
    if (key != null) b.header("Idempotency-Key", key);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void createAccounts() throws Exception {
    for (int a = 1; a <= settings.accounts(); a++) {
      HttpResponse<String> r = call("POST", "/v1/accounts", "{\"id\":\"" + a + "\",\"ledger\":1,\"code\":1}", null);
      if (r.statusCode() != 201 && r.statusCode() != 200) {
        throw new IllegalStateException("creating account " + a + ": " + r.statusCode() + " " + r.body());
      }
    }
  }

  private static String body(Sent s) {
    return "{\"id\":\"" + s.id() + "\",\"debit_account_id\":\"" + s.debit() + "\",\"credit_account_id\":\""
        + s.credit() + "\",\"amount\":\"" + s.amount() + "\",\"ledger\":1,\"code\":1}";
  }

  /** Closed-loop senders until the node dies at a random moment after some transfers were acknowledged. */
  private void loadAndKill(int cycle, Process node) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger ackedThisCycle = new AtomicInteger();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
        settings.connections());
    for (int c = 0; c < settings.connections(); c++) {
      long base = ((long) cycle * 1_000 + c) * 1_000_000L;
      Random r = new Random(random.nextLong());
      loops.add(CompletableFuture.runAsync(() -> sendLoop(base, r, stop, ackedThisCycle), pool));
    }
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (ackedThisCycle.get() < 20 && Instant.now().isBefore(deadline)) Thread.sleep(10); // polling only
    if (ackedThisCycle.get() < 20) throw new IllegalStateException("cycle " + cycle + ": fewer than 20 transfers "
        + "acknowledged in 60 s; see " + settings.dir() + "/node-" + cycle + ".log");
    Thread.sleep(200 + random.nextInt(1300)); // the kill moment: random, under load
    node.destroyForcibly(); // SIGKILL
    node.waitFor(60, TimeUnit.SECONDS);
    stop.set(true);
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(REQUEST_TIMEOUT.toSeconds() * 2,
        TimeUnit.SECONDS);
    pool.shutdown();
    log.printf("cycle %d: killed with %d acknowledged this cycle (%d sent in all)%n", cycle, ackedThisCycle.get(),
        sent.size());
  }

  private void sendLoop(long base, Random r, AtomicBoolean stop, AtomicInteger ackedThisCycle) {
    long seq = 0;
    while (!stop.get()) {
      long debit = 1 + r.nextInt(settings.accounts());
      long credit = 1 + (debit + r.nextInt(settings.accounts() - 1)) % settings.accounts();
      Sent s = new Sent(base + ++seq, debit, credit, 1 + r.nextInt(1000), "chaos-" + (base + seq));
      sent.put(s.id(), s);
      try {
        HttpResponse<String> resp = call("POST", "/v1/transfers", body(s), s.key());
        if (resp.statusCode() == 201 || resp.statusCode() == 200) {
          acked.add(s.id());
          ackedThisCycle.incrementAndGet();
        }
      } catch (Exception e) {
        return; // the node is gone: this connection's last request is unacknowledged
      }
    }
  }

  private void violation(int cycle, String what) {
    violations.add(new Violation(cycle, what));
    log.println("VIOLATION after cycle " + cycle + ": " + what);
  }

  /** Checks every promise against the restarted node. */
  private void verify(int cycle) throws Exception {
    BigInteger existingAmounts = BigInteger.ZERO;
    int found = 0;
    for (Sent s : sent.values()) {
      HttpResponse<String> r = call("GET", "/v1/transfers/" + s.id(), null, null);
      if (r.statusCode() == 404) {
        if (acked.contains(s.id())) violation(cycle, "acknowledged transfer " + s.id() + " is missing");
        continue;
      }
      if (r.statusCode() != 200) {
        violation(cycle, "GET /v1/transfers/" + s.id() + " answered " + r.statusCode() + " " + r.body());
        continue;
      }
      JsonObject t = new JsonObject(r.body());
      if (!String.valueOf(s.amount()).equals(t.getString("amount"))
          || !String.valueOf(s.debit()).equals(t.getString("debit_account_id"))
          || !String.valueOf(s.credit()).equals(t.getString("credit_account_id"))) {
        violation(cycle, "transfer " + s.id() + " differs from what was sent: " + r.body());
      }
      if (!acked.contains(s.id())) found++;
      existingAmounts = existingAmounts.add(BigInteger.valueOf(s.amount()));
    }
    unackedFound = found;
    // Nothing never sent exists: the next id of every connection of every cycle so far.
    for (int c = 1; c <= cycle; c++) {
      for (int conn = 0; conn < settings.connections(); conn++) {
        long base = ((long) c * 1_000 + conn) * 1_000_000L;
        long next = base + 1;
        while (sent.containsKey(next)) next++;
        HttpResponse<String> r = call("GET", "/v1/transfers/" + next, null, null);
        if (r.statusCode() != 404) violation(cycle, "never-sent transfer " + next + " answered " + r.statusCode());
      }
    }
    BigInteger[] totals = totals(cycle);
    if (!totals[0].equals(totals[1])) {
      violation(cycle, "debits posted " + totals[0] + " != credits posted " + totals[1]);
    }
    if (!totals[0].equals(existingAmounts)) {
      violation(cycle, "debits posted " + totals[0] + " != sum of the existing transfers' amounts " + existingAmounts);
    }
    // Retrying acknowledged requests with their keys replays them and moves no money.
    int retried = 0;
    for (Long id : acked) {
      if (retried++ == 25) break;
      Sent s = sent.get(id);
      HttpResponse<String> r = call("POST", "/v1/transfers", body(s), s.key());
      if (r.statusCode() != 201 && r.statusCode() != 200) {
        violation(cycle, "retry of acknowledged " + id + " answered " + r.statusCode() + " " + r.body());
      }
    }
    BigInteger[] after = totals(cycle);
    if (!after[0].equals(totals[0]) || !after[1].equals(totals[1])) {
      violation(cycle, "retrying acknowledged requests moved money: " + totals[0] + " -> " + after[0]);
    }
    log.printf("after cycle %d: %d sent, %d acknowledged, %d unacknowledged found committed, debits = credits = %s%n",
        cycle, sent.size(), acked.size(), found, totals[0]);
  }

  private BigInteger[] totals(int cycle) throws Exception {
    BigInteger debits = BigInteger.ZERO;
    BigInteger credits = BigInteger.ZERO;
    for (int a = 1; a <= settings.accounts(); a++) {
      HttpResponse<String> r = call("GET", "/v1/accounts/" + a, null, null);
      if (r.statusCode() != 200) {
        violation(cycle, "GET /v1/accounts/" + a + " answered " + r.statusCode() + " " + r.body());
        continue;
      }
      JsonObject acc = new JsonObject(r.body());
      debits = debits.add(new BigInteger(acc.getString("debits_posted")));
      credits = credits.add(new BigInteger(acc.getString("credits_posted")));
    }
    return new BigInteger[] {debits, credits};
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
