package dev.ledgerline.events;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * Dedupe by event id for consumers whose effect is in PostgreSQL: claim the id in the same transaction as the effect,
 * and skip the effect when the claim says it was already handled. A redelivered event then changes nothing.
 */
public final class ProcessedEvents {
  private ProcessedEvents() {}

  /** True when this is the first time {@code consumer} handles {@code eventId} (in {@code tx}'s transaction). */
  public static Future<Boolean> claim(SqlClient tx, String consumer, UUID eventId) {
    return tx.preparedQuery("INSERT INTO events_processed (consumer, event_id) VALUES ($1, $2) "
            + "ON CONFLICT DO NOTHING").execute(Tuple.of(consumer, eventId))
        .map(rows -> rows.rowCount() == 1);
  }
}
