package dev.ledgerline.roles;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.infra.DataServices;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

/**
 * What a node's verticles share: its identity, configuration, Vert.x, metrics registry and data services (whose
 * PostgreSQL and Redis parts are present when the node's roles need them).
 */
public record NodeContext(String nodeId, ConfigService configService, Vertx vertx, MeterRegistry registry,
    DataServices services, java.util.function.IntSupplier members) {
  public LedgerlineConfig config() {
    return configService.current();
  }
}
