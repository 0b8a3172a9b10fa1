package dev.ledgerline.cli.bench;

import dev.ledgerline.node.Logging;
import dev.ledgerline.providers.BalanceReads;
import dev.ledgerline.providers.GuardedProvider;
import dev.ledgerline.providers.PlaidClient;
import dev.ledgerline.providers.ProviderBreaker;
import dev.ledgerline.providers.ProviderUnavailableException;
import dev.ledgerline.providers.sandbox.PlaidSandbox;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench providers}: balance reads through the breaker and the Plaid client against an in-process
 * sandbox with no injected latency (reads per second and latency percentiles, with N reads in flight), then the cost
 * of an open breaker's refusal, measured in-process per call (it must stay under 50 µs at p99).
 */
@Command(name = "providers", mixinStandardHelpOptions = true,
    description = "Benchmark provider calls: balance reads through the breaker, and an open breaker's rejection cost.")
public final class ProvidersBenchCommand implements Callable<Integer> {
  /** The budget an open breaker's refusal must stay within at p99. */
  static final long REJECTION_BUDGET_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

  @Option(names = "--concurrency", defaultValue = "64", description = "Reads in flight (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Mixin
  BenchWindow window = new BenchWindow(10, 3);

  @Option(names = "--rejections", defaultValue = "2000000",
      description = "Open-breaker refusals measured (default ${DEFAULT-VALUE}).")
  int rejections;

  @Override
  public Integer call() throws Exception {
    Logging.setLevel("WARN");
    Vertx vertx = Vertx.vertx();
    try {
      PlaidSandbox sandbox = PlaidSandbox.start(vertx, new SandboxSettings("127.0.0.1", 0, "bench", "bench-secret",
          Duration.ofSeconds(2), "")).await();
      WebClient web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(Math.max(1, concurrency)));
      PlaidClient plaid = new PlaidClient(web, sandbox.baseUrl(), "bench", "bench-secret", Duration.ofSeconds(5));
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      ProviderBreaker breaker = new ProviderBreaker(vertx, "plaid", new ProviderBreaker.Settings(5,
          Duration.ofMinutes(10), 3, Duration.ofSeconds(5)), registry, change -> { });
      GuardedProvider provider = new GuardedProvider(plaid, breaker);
      BalanceReads balances = new BalanceReads(provider, 1000, Duration.ofHours(1), registry, Clock.systemUTC());
      String token = plaid.sandboxPublicToken("ins_109508", List.of("transfer"))
          .compose(provider::exchangePublicToken).await().accessToken();

      LatencyTally tally = new LatencyTally(TimeUnit.SECONDS.toNanos(30));
      AtomicBoolean running = new AtomicBoolean(true);
      Promise<Void> drained = Promise.promise();
      AtomicLong inFlight = new AtomicLong(concurrency);
      Context ctx = vertx.getOrCreateContext();
      ctx.runOnContext(v -> {
        for (int i = 0; i < concurrency; i++) {
          loop(balances, token, tally, running, inFlight, drained);
        }
      });
      double seconds = tally.measure(window);
      long count = tally.completed();
      Histogram reads = tally.latency();
      running.set(false);
      drained.future().await();
      double perSecond = count / seconds;
      System.out.printf(Locale.ROOT, "balance reads through the breaker (sandbox, no latency, %d in flight): "
          + "%,.0f reads/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms (%,d reads in %.1f s)%n", concurrency, perSecond,
          reads.getValueAtPercentile(50) / 1e6, reads.getValueAtPercentile(99) / 1e6, reads.getMaxValue() / 1e6,
          count, seconds);

      // Open it with five connection failures: an unreachable provider behind the same breaker.
      sandbox.close().await();
      for (int i = 0; i < 5; i++) {
        provider.balances(token).transform(ar -> Future.succeededFuture()).await();
      }
      if (breaker.state() != ProviderBreaker.State.OPEN) {
        System.err.println("the breaker did not open: " + breaker.state());
        return 1;
      }
      Histogram reject = new Histogram(TimeUnit.MILLISECONDS.toNanos(100), 3);
      int warm = Math.min(rejections, 200_000);
      for (int i = 0; i < warm + rejections; i++) {
        long t0 = System.nanoTime();
        Future<?> f = provider.balances(token);
        long t = System.nanoTime() - t0;
        if (!(f.cause() instanceof ProviderUnavailableException)) {
          System.err.println("an open breaker answered something else: " + f.cause());
          return 1;
        }
        if (i >= warm) {
          reject.recordValue(t);
        }
      }
      double p99us = reject.getValueAtPercentile(99) / 1e3;
      System.out.printf(Locale.ROOT, "open breaker rejection, in-process: p50 %.2f µs, p99 %.2f µs, p99.9 %.2f µs,"
              + " max %.1f µs (%,d calls; budget p99 < 50 µs: %s)%n", reject.getValueAtPercentile(50) / 1e3, p99us,
          reject.getValueAtPercentile(99.9) / 1e3, reject.getMaxValue() / 1e3, rejections,
          reject.getValueAtPercentile(99) < REJECTION_BUDGET_NANOS ? "met" : "MISSED");
      System.out.printf(Locale.ROOT, "{\"bench\":\"providers\",\"concurrency\":%d,\"reads_per_s\":%.0f,"
              + "\"read_p50_ms\":%.3f,\"read_p99_ms\":%.3f,\"reject_p50_us\":%.3f,\"reject_p99_us\":%.3f,"
              + "\"reject_p999_us\":%.3f}%n", concurrency, perSecond, reads.getValueAtPercentile(50) / 1e6,
          reads.getValueAtPercentile(99) / 1e6, reject.getValueAtPercentile(50) / 1e3, p99us,
          reject.getValueAtPercentile(99.9) / 1e3);
      breaker.close();
      web.close();
      return reject.getValueAtPercentile(99) < REJECTION_BUDGET_NANOS ? 0 : 1;
    } finally {
      vertx.close().await();
    }
  }

  /** One reader: the next read starts when the previous one completes, until the run stops. */
  private static void loop(BalanceReads balances, String token, LatencyTally tally, AtomicBoolean running,
      AtomicLong inFlight, Promise<Void> drained) {
    if (!running.get()) {
      if (inFlight.decrementAndGet() == 0) {
        drained.tryComplete();
      }
      return;
    }
    long t0 = System.nanoTime();
    balances.read("bench-item", token).onComplete(ar -> {
      if (ar.succeeded() && !ar.result().stale()) {
        tally.recordCompletion(t0);
      }
      loop(balances, token, tally, running, inFlight, drained);
    });
  }
}
