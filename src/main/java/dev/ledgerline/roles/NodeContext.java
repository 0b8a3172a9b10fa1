package dev.ledgerline.roles;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.tracing.Tracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

/**
 * What a node's verticles share: its identity, configuration, Vert.x, metrics registry and data services (whose
 * PostgreSQL and Redis parts are present when the node's roles need them), and its tracing.
 */
public record NodeContext(String nodeId, ConfigService configService, Vertx vertx, MeterRegistry registry,
    DataServices services, java.util.function.IntSupplier members, Tracing tracing) {
  /** A node without tracing. */
  public NodeContext(String nodeId, ConfigService configService, Vertx vertx, MeterRegistry registry,
      DataServices services, java.util.function.IntSupplier members) {
    this(nodeId, configService, vertx, registry, services, members, Tracing.off());
  }

  public LedgerlineConfig config() {
    return configService.current();
  }
}
