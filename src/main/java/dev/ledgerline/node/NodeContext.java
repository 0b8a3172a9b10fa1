package dev.ledgerline.node;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

/** What a node's verticles share: its identity, configuration, Vert.x and metrics registry. */
public record NodeContext(String nodeId, ConfigService configService, Vertx vertx, MeterRegistry registry) {
  public LedgerlineConfig config() {
    return configService.current();
  }
}
