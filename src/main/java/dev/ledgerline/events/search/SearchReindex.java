package dev.ledgerline.events.search;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;

/**
 * The transfer half of {@code ledgerline reindex}: in the caller's transaction, removes every transfer row and sets
 * every search cursor back to the ledger's beginning. A running {@link TransferIndexer} finds its cursor moved, reloads
 * it and indexes the whole ledger again; a stopped one does so when its node starts.
 */
public final class SearchReindex {
  private SearchReindex() {}

  /** The number of transfer rows removed. */
  public static Future<Integer> resetTransfers(SqlConnection conn) {
    return conn.query("DELETE FROM transaction_search WHERE kind = 'transfer'").execute()
        .compose(deleted -> conn.preparedQuery("UPDATE ledger_feed_cursors SET position = 0, updated_at = now() "
                + "WHERE consumer = $1").execute(io.vertx.sqlclient.Tuple.of(TransferIndexer.CONSUMER))
            .map(deleted.rowCount()));
  }

  /** Removes the payment rows; the caller publishes their snapshots again in the same transaction. */
  public static Future<Integer> removePayments(SqlConnection conn) {
    return conn.query("DELETE FROM transaction_search WHERE kind = 'payment'").execute().map(r -> r.rowCount());
  }
}
