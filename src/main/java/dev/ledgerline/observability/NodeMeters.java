package dev.ledgerline.observability;

import dev.ledgerline.config.LedgerlineConfig;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.registry.otlp.OtlpConfig;
import io.micrometer.registry.otlp.OtlpMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.TreeSet;

/**
 * A node's meter registries: Prometheus (pulled from {@code /metrics}) always, and with {@code metrics.push.enabled}
 * an OTLP registry beside it that pushes the same meters every {@code metrics.push.step}. Both get the HTTP latency
 * buckets, so request latency is a real histogram with a bucket at the objective ({@code metrics.slo}).
 */
public final class NodeMeters {
  /** Vert.x's server request timer (labelled by method, status code and route template; see NodeVertx). */
  public static final String HTTP_SERVER_TIME = "vertx.http.server.response.time";
  /** Bucket bounds around typical objectives; the configured objective is added when it is not one of them. */
  private static final long[] BUCKETS_MS = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

  /**
   * Keeps {@code /metrics} clean for {@code promtool check metrics}: two JVM meters in abbreviated, non-base units
   * (ms, ns; {@code jvm.gc.*} and {@code process.cpu.usage} cover the same ground) are left out, and the CPU count
   * loses a {@code _count} suffix that Prometheus reserves for histograms and summaries.
   */
  static final MeterFilter PROMETHEUS_NAMES = new MeterFilter() {
    @Override
    public io.micrometer.core.instrument.config.MeterFilterReply accept(Meter.Id id) {
      return id.getName().equals("jvm.compilation.time") || id.getName().equals("process.cpu.time")
          ? io.micrometer.core.instrument.config.MeterFilterReply.DENY
          : io.micrometer.core.instrument.config.MeterFilterReply.NEUTRAL;
    }

    @Override
    public Meter.Id map(Meter.Id id) {
      return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
    }
  };

  private NodeMeters() {}

  /**
   * Configures {@code prometheus} and returns the registry meters are to be registered in: {@code prometheus} itself,
   * or a composite of it and the OTLP push registry. Closing the composite stops the push (after a last one).
   */
  public static MeterRegistry create(PrometheusMeterRegistry prometheus, LedgerlineConfig.Metrics settings) {
    MeterFilter latency = sloBuckets(settings.slo());
    prometheus.config().meterFilter(PROMETHEUS_NAMES).meterFilter(latency);
    if (!settings.pushEnabled()) {
      return prometheus;
    }
    OtlpMeterRegistry otlp = new OtlpMeterRegistry(otlpConfig(settings), Clock.SYSTEM);
    otlp.config().meterFilter(PROMETHEUS_NAMES).meterFilter(latency);
    CompositeMeterRegistry composite = new CompositeMeterRegistry();
    composite.add(prometheus);
    composite.add(otlp);
    return composite;
  }

  /** The OTLP registry's settings from {@code metrics.push.*}; every other OTLP property keeps its default. */
  static OtlpConfig otlpConfig(LedgerlineConfig.Metrics settings) {
    Map<String, String> values = Map.of("otlp.url", settings.pushEndpoint(),
        "otlp.step", settings.pushStep().toMillis() + "ms");
    return values::get;
  }

  /** Latency buckets for the HTTP server timer, with one at the objective so "within SLO" is an exact bucket. */
  static MeterFilter sloBuckets(Duration slo) {
    TreeSet<Long> bounds = new TreeSet<>();
    for (long ms : BUCKETS_MS) bounds.add(ms);
    bounds.add(Math.max(1, slo.toMillis()));
    double[] nanos = bounds.stream().mapToDouble(ms -> Duration.ofMillis(ms).toNanos()).toArray();
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (!id.getName().equals(HTTP_SERVER_TIME)) {
          return config;
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
      }
    };
  }
}
