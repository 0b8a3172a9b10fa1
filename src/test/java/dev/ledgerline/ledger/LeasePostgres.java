package dev.ledgerline.ledger;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.node.Codecs;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.testing.SharedPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

/**
 * One embedded PostgreSQL per test JVM for tests that deploy the ledger verticle by hand (its write lease lives in
 * PostgreSQL). Each call hands out a pool on the caller's Vert.x, after removing the lease of the test before: every
 * test's ledger is a new one.
 */
final class LeasePostgres {
  private LeasePostgres() {}

  private static DataServices server() {
    return SharedPostgres.server("ledgerline-lease-pg");
  }

  /** The server's URL, for nodes started by configuration. */
  static String url() {
    return server().postgresUrl().orElseThrow().url();
  }

  /** A fresh pool on {@code vertx}, with no ledger lease left in the database. */
  static DataServices freshLease(Vertx vertx) {
    clearLease();
    return DataServices.startPostgres(vertx, PostgresSettings.external(url())).await();
  }

  /** What a ledger verticle deployed by hand needs of its node: the codecs on the bus and a lease of its own. */
  static NodeContext context(Vertx vertx, ConfigService config) {
    Codecs.registerAll(vertx.eventBus());
    return new NodeContext("t", config, vertx, new SimpleMeterRegistry(), freshLease(vertx), () -> 1);
  }

  /** Removes the lease of the test before, for a node that connects to this server by configuration. */
  static void clearLease() {
    server().pool().query("DELETE FROM ledger_lease").execute().await();
  }
}
