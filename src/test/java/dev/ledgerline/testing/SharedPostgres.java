package dev.ledgerline.testing;

import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.postgres.PostgresSettings;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;

/**
 * Embedded PostgreSQL servers that live as long as the test JVM, one per name, for tests that empty a table before
 * each test instead of paying for a server each time. Each runs on a Vert.x of its own and stops when the JVM exits.
 */
public final class SharedPostgres {
  private static final Map<String, DataServices> SERVERS = new HashMap<>();

  private SharedPostgres() {}

  /** The server of this name (also the prefix of its data directory), started on first use. */
  public static synchronized DataServices server(String name) {
    return SERVERS.computeIfAbsent(name, n -> {
      Vertx own = Vertx.vertx();
      DataServices server = DataServices.startPostgres(own,
          PostgresSettings.embedded(TestData.tempRoot(n).resolve("pg"))).await();
      // Stopped before the test data roots are deleted (see TestData.atExit).
      TestData.atExit(() -> server.close().eventually(own::close).toCompletionStage().toCompletableFuture().join());
      return server;
    });
  }
}
