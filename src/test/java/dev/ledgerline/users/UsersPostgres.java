package dev.ledgerline.users;

import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.testing.SharedPostgres;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One embedded PostgreSQL for the users tests of a JVM. Registered on a test class
 * ({@code @RegisterExtension final UsersPostgres db = new UsersPostgres();}), it gives each test an empty users
 * table, a Vert.x of its own, a pool on it and a {@link UserStore} with the default role permissions.
 */
final class UsersPostgres implements BeforeEachCallback, AfterEachCallback {
  private Vertx vertx;
  private DataServices pg;
  private UserStore store;

  private static DataServices server() {
    return SharedPostgres.server("ledgerline-users-pg");
  }

  static String url() {
    return server().postgresUrl().orElseThrow().url();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    server().pool().query("TRUNCATE user_events, users").execute().await();
    vertx = Vertx.vertx();
    pg = DataServices.startPostgres(vertx, PostgresSettings.external(url())).await();
    store = new UserStore(pg.pool(), RolePermissions.defaults());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    pg.close().await();
    vertx.close().await();
  }

  Vertx vertx() {
    return vertx;
  }

  /** The test's pool; a test may close it early to cut the store off from PostgreSQL. */
  DataServices pg() {
    return pg;
  }

  UserStore store() {
    return store;
  }
}
