package dev.ledgerline.events;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.time.Duration;

/**
 * The real parts the events tests run against: a ledger node (from {@link NodeExtension}, one per test class) with its
 * embedded PostgreSQL, migrated with the outbox and event store tables, and its embedded ledger.
 */
final class EventsTestBed {
  private final NodeExtension extension;

  private EventsTestBed(NodeExtension extension) {
    this.extension = extension;
  }

  /** The extension a test class registers on a static field. */
  static NodeExtension ledgerNode() {
    return NodeExtension.node().roles("ledger").build();
  }

  static EventsTestBed of(NodeExtension extension) {
    return new EventsTestBed(extension);
  }

  Node node() {
    return extension.get();
  }

  Vertx vertx() {
    return node().vertx();
  }

  Pool pool() {
    return node().services().pool();
  }

  PgConnectOptions connectOptions() {
    return node().services().postgresUrl().orElseThrow().connectOptions();
  }

  LedgerClient ledger() {
    return new LedgerClient(vertx(), Duration.ofSeconds(30));
  }

  /** Settings with short waits, so retries and polls happen within a test's patience. */
  static LedgerlineConfig.Events settings(int maxAttempts) {
    return new LedgerlineConfig.Events(65536, maxAttempts, Duration.ofHours(1), Duration.ofMillis(100), 100,
        Duration.ofSeconds(20), Duration.ofMillis(10), Duration.ofMillis(50), 2_000_000_000);
  }

  /** Empty outbox, cursors, parked and processed events. */
  void clearOutbox() {
    pool().query("TRUNCATE events_outbox, events_aggregates, events_consumers, events_dead, events_processed")
        .execute().await();
  }
}
