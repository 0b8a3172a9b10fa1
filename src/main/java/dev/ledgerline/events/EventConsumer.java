package dev.ledgerline.events;

import io.vertx.core.Future;

/**
 * A durable consumer of the outbox. It gets every event at least once, in sequence order per aggregate, and must
 * ignore an event id it has already handled ({@link ProcessedEvents} does that in the consumer's own transaction).
 * A failed future, or an exception, is retried with backoff; after {@code events.max-attempts} the event is parked.
 */
public interface EventConsumer {
  /** The consumer's cursor name in PostgreSQL: stable across restarts, unique in the cluster. */
  String name();

  Future<Void> handle(Event event);
}
