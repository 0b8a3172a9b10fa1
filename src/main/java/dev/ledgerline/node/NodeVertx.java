package dev.ledgerline.node;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.node.clustertls.ClusterTls;
import dev.ledgerline.observability.NodeMeters;
import dev.ledgerline.tracing.Tracing;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.UUID;

/** Builds a node's Vert.x: local or clustered over Hazelcast, with Micrometer/Prometheus metrics. */
public final class NodeVertx {
  /** The member attribute vertx-hazelcast reads its node id from when it is handed a ready Hazelcast instance. */
  private static final String VERTX_NODE_ID = "__vertx.nodeId";
  /** Member attributes every node can read of every other: its Ledgerline id and its roles (the console lists them). */
  static final String MEMBER_ID = "ledgerline.node-id";
  static final String MEMBER_ROLES = "ledgerline.roles";

  private NodeVertx() {}

  /**
   * The built Vert.x with the registry its metrics land in and, when clustered, its cluster manager and the
   * Hazelcast member under it (which the node, not Vert.x, shuts down).
   */
  public record Built(Vertx vertx, PrometheusMeterRegistry registry, MeterRegistry meters,
      HazelcastClusterManager clusterManager, HazelcastInstance hazelcast) {
    public int members() {
      return clusterManager == null ? 1 : clusterManager.getNodes().size();
    }

    /** Closes Vert.x (which leaves the cluster), then shuts the Hazelcast member down and stops any push. */
    public Future<Void> close() {
      return vertx.close().eventually(() -> {
        if (meters != registry) {
          meters.close();
        }
        if (hazelcast != null) {
          hazelcast.getLifecycleService().shutdown();
        }
        return Future.succeededFuture();
      });
    }
  }

  /**
   * Builds Vert.x. Refuses ({@link NodeRefusedException}) a clustered node on a non-loopback {@code cluster.host}
   * without {@code cluster.tls}, and names the key and address of a cluster port that is taken.
   */
  public static Future<Built> build(LedgerlineConfig config, String nodeId) {
    return build(config, nodeId, Tracing.off());
  }

  /** {@link #build(LedgerlineConfig, String)} with {@code tracing}'s tracer (HTTP, event bus, SQL, Redis, web client). */
  public static Future<Built> build(LedgerlineConfig config, String nodeId, Tracing tracing) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MeterRegistry meters = NodeMeters.create(registry, config.metrics());
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // Per-address event-bus metrics; addresses are a small fixed set of constants, so cardinality stays low.
        .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_TYPE,
            Label.POOL_NAME, Label.EB_SIDE, Label.EB_ADDRESS, Label.EB_FAILURE));
    VertxOptions options = new VertxOptions().setMetricsOptions(metrics);
    var builder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(meters));
    if (tracing.enabled()) {
      builder.withTracer(tracing.vertxTracerFactory());
    }
    LedgerlineConfig.Cluster cluster = config.cluster();
    if (!cluster.enabled()) {
      Vertx vertx = builder.build();
      vertx.exceptionHandler(new UnhandledExceptions(meters));
      Codecs.registerAll(vertx.eventBus());
      tracing.propagateOverEventBus(vertx.eventBus());
      return Future.succeededFuture(new Built(vertx, registry, meters, null, null));
    }
    HazelcastInstance hazelcast;
    EventBusOptions eventBus = new EventBusOptions().setHost(cluster.host()).setPort(cluster.eventBusPort());
    try {
      ClusterTls tls = ClusterSetup.tls(cluster);
      if (tls != null) {
        tls.applyTo(eventBus);
      }
      hazelcast = startHazelcast(cluster, tls, nodeId, config.node().roles());
    } catch (RuntimeException e) {
      meters.close();
      return Future.failedFuture(e);
    }
    options.setEventBusOptions(eventBus);
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcast);
    return builder.withClusterManager(manager).buildClustered()
        .recover(err -> {
          hazelcast.getLifecycleService().shutdown();
          return Future.failedFuture(ListenerAddress.inUse(err) ? ListenerAddress.refused("cluster.event-bus-port",
              cluster.host(), cluster.eventBusPort(), err) : err);
        })
        .map(vertx -> {
          vertx.exceptionHandler(new UnhandledExceptions(meters));
          Codecs.registerAll(vertx.eventBus());
          tracing.propagateOverEventBus(vertx.eventBus());
          return new Built(vertx, registry, meters, manager, hazelcast);
        });
  }

  /** The node starts its Hazelcast member itself: to wrap it in TLS, and to name a taken port. */
  private static HazelcastInstance startHazelcast(LedgerlineConfig.Cluster cluster, ClusterTls tls, String nodeId,
      java.util.List<LedgerlineConfig.Role> roles) {
    Config hz = ClusterSetup.hazelcastConfig(cluster);
    hz.getMemberAttributeConfig().setAttribute(VERTX_NODE_ID, UUID.randomUUID().toString());
    hz.getMemberAttributeConfig().setAttribute(MEMBER_ID, nodeId);
    hz.getMemberAttributeConfig().setAttribute(MEMBER_ROLES,
        String.join(",", roles.stream().map(LedgerlineConfig.Role::id).toList()));
    try {
      return tls == null ? Hazelcast.newHazelcastInstance(hz) : tls.newHazelcast(hz);
    } catch (RuntimeException e) {
      if (ListenerAddress.inUse(e)) {
        throw ListenerAddress.refused("cluster.port", cluster.host(), cluster.port(), e);
      }
      throw e;
    }
  }
}
