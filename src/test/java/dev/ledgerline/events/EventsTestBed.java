package dev.ledgerline.events;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.node.Node;
import dev.ledgerline.node.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.Map;

/**
 * One ledger node per test JVM for the events tests: its embedded PostgreSQL (migrated, with the outbox and event
 * store tables) and its embedded ledger are the real parts the tests run against. Each test starts from empty event
 * tables.
 */
final class EventsTestBed {
  private static Node node;

  private EventsTestBed() {}

  static synchronized Node node() {
    if (node == null) {
      node = TestNodes.start(Map.of("node.roles", "ledger"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> node.stop().join()));
    }
    return node;
  }

  static Vertx vertx() {
    return node().vertx();
  }

  static Pool pool() {
    return node().services().pool();
  }

  static PgConnectOptions connectOptions() {
    return node().services().postgresUrl().orElseThrow().connectOptions();
  }

  static LedgerClient ledger() {
    return new LedgerClient(vertx(), Duration.ofSeconds(30));
  }

  /** Settings with short waits, so retries and polls happen within a test's patience. */
  static LedgerlineConfig.Events settings(int maxAttempts) {
    return new LedgerlineConfig.Events(65536, maxAttempts, Duration.ofHours(1), Duration.ofMillis(100), 100,
        Duration.ofSeconds(20), Duration.ofMillis(10), Duration.ofMillis(50), 2_000_000_000);
  }

  /** Empty outbox, cursors, parked and processed events. */
  static void clearOutbox() {
    pool().query("TRUNCATE events_outbox, events_aggregates, events_consumers, events_dead, events_processed")
        .execute().await();
  }
}
