package dev.ledgerline.cli;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.search.SearchReindex;
import dev.ledgerline.transactions.PaymentStore;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code ledgerline reindex}: rebuilds {@code transaction_search} from the records, in one PostgreSQL transaction on
 * the node's PostgreSQL (as {@code users} and {@code vault} attach to it). Payment rows are removed and every
 * payment's snapshot is published again ({@code transaction.updated}, which the running relay's consumer indexes);
 * transfer rows are removed and the search cursor goes back to the ledger's beginning, so the transfer indexer
 * reads the whole ledger again (at once on a running node, else when one starts).
 */
@Command(name = "reindex", mixinStandardHelpOptions = true,
    description = {"Rebuild the transaction search index from the payments and the ledger.",
        "Prints a JSON summary. Exit 0: done; 1: PostgreSQL failed; 2: bad configuration."})
public final class ReindexCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ConfigOptions node;

  @Override
  public Integer call() {
    PostgresCli cli = new PostgresCli(spec, List.of(), List.of());
    return cli.run(node, (cfg, pool) -> {
      PaymentStore payments = new PaymentStore(pool, EventPublisher.create(cfg));
      JsonObject out = pool.withTransaction(conn -> SearchReindex.resetTransfers(conn)
          .compose(transfers -> SearchReindex.removePayments(conn)
              .compose(removed -> payments.republishSnapshots(conn))
              .map(republished -> new JsonObject().put("transfer_rows_removed", transfers)
                  .put("payments_republished", republished)
                  .put("transfers", "the indexer reads the ledger again from its beginning")))).await();
      cli.print(out.encodePrettily());
      return 0;
    });
  }
}
