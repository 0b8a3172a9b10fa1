package dev.ledgerline.users;

import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.node.TestNodes;
import io.vertx.core.Vertx;

/** One embedded PostgreSQL for the users tests of a JVM; each {@link #fresh} empties the users tables. */
final class UsersPostgres {
  private static DataServices server;

  private UsersPostgres() {}

  private static synchronized DataServices server() {
    if (server == null) {
      Vertx own = Vertx.vertx();
      server = DataServices.startPostgres(own,
          PostgresSettings.embedded(TestNodes.tempDataRoot("ledgerline-users-pg").resolve("pg"))).await();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> server.close()
          .eventually(own::close).toCompletionStage().toCompletableFuture().join()));
    }
    return server;
  }

  static String url() {
    return server().postgresUrl().orElseThrow().url();
  }

  /** A pool on {@code vertx} over an empty users table. */
  static DataServices fresh(Vertx vertx) {
    server().pool().query("TRUNCATE user_events, users").execute().await();
    return DataServices.startPostgres(vertx, PostgresSettings.external(url())).await();
  }
}
