package dev.ledgerline.ledger;

import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes {@link LedgerApi#TRANSFERS_COMMITTED} after each durable batch. The transfers are read back from the
 * backend because the request does not hold what the ledger decided: the timestamp, and for a post or void of a
 * pending transfer the accounts. The touched accounts are read after the batch for their balances. Publications
 * are chained so that subscribers see batches in commit order.
 */
final class CommittedPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(CommittedPublisher.class);

  private final Vertx vertx;
  private final LedgerBackend backend;
  private Future<Void> last = Future.succeededFuture();

  CommittedPublisher(Vertx vertx, LedgerBackend backend) {
    this.vertx = vertx;
    this.backend = backend;
  }

  /** Called on the ledger's context with the ok transfers of one batch. */
  void committed(List<Transfer> ok) {
    List<UInt128> ids = ok.stream().map(Transfer::id).toList();
    last = last.transform(ignored -> chunked(ids, backend::lookupTransfers)
        .compose(transfers -> {
          LinkedHashSet<UInt128> touched = new LinkedHashSet<>();
          for (Transfer t : transfers) {
            touched.add(t.debitAccountId());
            touched.add(t.creditAccountId());
          }
          return chunked(new ArrayList<>(touched), backend::lookupAccounts)
              .map(accounts -> new TransfersCommitted(transfers, accounts));
        })
        .map(event -> {
          if (!event.transfers().isEmpty()) {
            vertx.eventBus().publish(LedgerApi.TRANSFERS_COMMITTED, event);
          }
          return (Void) null;
        })
        .onFailure(e -> LOG.warn("committed transfers not published ({} transfers): {}", ids.size(),
            e.toString())));
  }

  /**
   * Completes once every batch handed to {@link #committed} so far has been published (or has failed, which is
   * logged): the ledger waits for it before closing the backend that the lookups read.
   */
  Future<Void> drained() {
    return last.transform(ignored -> Future.succeededFuture());
  }

  /** One lookup per {@link LedgerBackend#BATCH_MAX} ids, results concatenated in order. */
  private <T> Future<List<T>> chunked(List<UInt128> ids, Function<List<UInt128>, CompletionStage<List<T>>> call) {
    Future<List<T>> acc = Future.succeededFuture(new ArrayList<>());
    for (int from = 0; from < ids.size(); from += LedgerBackend.BATCH_MAX) {
      List<UInt128> part = ids.subList(from, Math.min(ids.size(), from + LedgerBackend.BATCH_MAX));
      acc = acc.compose(list -> Future.fromCompletionStage(call.apply(part), vertx.getOrCreateContext())
          .map(found -> {
            list.addAll(found);
            return list;
          }));
    }
    return acc;
  }
}
