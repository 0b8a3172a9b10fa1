package dev.ledgerline.ledger;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/**
 * Where a consumer of the committed-transfer feed keeps its position: the timestamp of the last transfer it has
 * handled. In PostgreSQL (table {@code ledger_feed_cursors}), one row per consumer and ledger, so the position
 * survives a restart and follows the ledger role to another node; without PostgreSQL only in memory.
 */
public interface FeedCursors {

  /** The stored position, if any. */
  Future<Optional<Long>> load();

  /** Stores {@code position}; a stored position never goes back (several writers may race). */
  Future<Void> save(long position);

  /** The table {@code ledger_feed_cursors} through {@code pool}. */
  static FeedCursors postgres(Pool pool, String consumer, String ledger) {
    return new FeedCursors() {
      @Override
      public Future<Optional<Long>> load() {
        return pool.preparedQuery("SELECT position FROM ledger_feed_cursors WHERE consumer = $1 AND ledger = $2")
            .execute(Tuple.of(consumer, ledger))
            .map((RowSet<Row> rows) -> rows.size() == 0 ? Optional.empty()
                : Optional.of(rows.iterator().next().getLong(0)));
      }

      @Override
      public Future<Void> save(long position) {
        return pool.preparedQuery("INSERT INTO ledger_feed_cursors (consumer, ledger, position) VALUES ($1, $2, $3) "
                + "ON CONFLICT (consumer, ledger) DO UPDATE SET position = GREATEST(ledger_feed_cursors.position, "
                + "EXCLUDED.position), updated_at = now()")
            .execute(Tuple.of(consumer, ledger, position)).mapEmpty();
      }
    };
  }

  /** A position kept in this process only (no PostgreSQL): lost at a restart. */
  static FeedCursors inMemory() {
    return new FeedCursors() {
      private Long position;

      @Override
      public Future<Optional<Long>> load() {
        return Future.succeededFuture(Optional.ofNullable(position));
      }

      @Override
      public Future<Void> save(long p) {
        position = position == null ? p : Math.max(position, p);
        return Future.succeededFuture();
      }
    };
  }
}
