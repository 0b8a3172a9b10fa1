package dev.ledgerline.testing;

import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.infra.postgres.PostgresUrl;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;

/**
 * An embedded PostgreSQL with the real migrations, and a Vert.x of its own that its pool runs on, for tests of the
 * PostgreSQL stores that need no node:
 * {@code @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();}. On a static field it
 * lives for the class, on an instance field for each test; its data directory goes with it.
 */
public final class PostgresExtension extends Scoped {
  private Path root;
  private Vertx vertx;
  private DataServices services;

  /** The Vert.x the pool runs on; tests may build their clients and stores on it too. */
  public Vertx vertx() {
    return running().vertx;
  }

  public Pool pool() {
    return running().services.pool();
  }

  public PostgresUrl url() {
    return running().services.postgresUrl().orElseThrow();
  }

  private PostgresExtension running() {
    if (services == null) {
      throw new IllegalStateException("PostgreSQL runs only while a test (or its class) runs");
    }
    return this;
  }

  @Override
  protected void open() {
    root = TestData.newRoot("ledgerline-pg-test");
    vertx = Vertx.vertx();
    services = DataServices.startPostgres(vertx, PostgresSettings.embedded(root.resolve("pg"))).await();
  }

  @Override
  protected void close() {
    try {
      if (services != null) {
        services.close().await();
      }
      if (vertx != null) {
        vertx.close().await();
      }
    } finally {
      services = null;
      vertx = null;
      if (root != null) {
        TestData.delete(root);
        root = null;
      }
    }
  }
}
