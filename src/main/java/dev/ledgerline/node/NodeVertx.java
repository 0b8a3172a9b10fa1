package dev.ledgerline.node;

import dev.ledgerline.config.LedgerlineConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.EnumSet;

/** Builds a node's Vert.x: local or clustered over Hazelcast, with Micrometer/Prometheus metrics. */
public final class NodeVertx {
  private NodeVertx() {}

  /** The built Vert.x with the registry its metrics land in and, when clustered, its cluster manager. */
  public record Built(Vertx vertx, PrometheusMeterRegistry registry, HazelcastClusterManager clusterManager) {
    public int members() {
      return clusterManager == null ? 1 : clusterManager.getNodes().size();
    }
  }

  public static Future<Built> build(LedgerlineConfig config) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // Per-address event-bus metrics; addresses are a small fixed set of constants, so cardinality stays low.
        .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_TYPE,
            Label.POOL_NAME, Label.EB_SIDE, Label.EB_ADDRESS, Label.EB_FAILURE));
    VertxOptions options = new VertxOptions().setMetricsOptions(metrics);
    var builder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry));
    LedgerlineConfig.Cluster cluster = config.cluster();
    if (!cluster.enabled()) {
      Vertx vertx = builder.build();
      Codecs.registerAll(vertx.eventBus());
      return Future.succeededFuture(new Built(vertx, registry, null));
    }
    options.setEventBusOptions(new EventBusOptions().setHost(cluster.host()).setPort(cluster.eventBusPort()));
    HazelcastClusterManager manager = new HazelcastClusterManager(ClusterSetup.hazelcastConfig(cluster));
    return builder.withClusterManager(manager).buildClustered().map(vertx -> {
      Codecs.registerAll(vertx.eventBus());
      return new Built(vertx, registry, manager);
    });
  }
}
