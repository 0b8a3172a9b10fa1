package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A ledger with TigerBeetle 0.16.30's semantics: batch in, results out, asynchronously. Implemented by the embedded
 * engine and by the TigerBeetle client backend.
 *
 * <p>Create operations return only the failed events with their index, in ascending index order (use
 * {@link dev.ledgerline.ledger.model.Results} to expand). Lookups return the found records in request order. A
 * batch of more than {@link #BATCH_MAX} events completes exceptionally with {@link BatchTooLargeException}; an empty
 * batch is legal. A stage completes only once the batch is durable. Stages may complete on a backend thread: hop
 * back to your own context and never block inside a dependent stage.
 */
public interface LedgerBackend extends AutoCloseable {

  /** Events per request in TigerBeetle 0.16.30 (1 MiB message body / 128 bytes). */
  int BATCH_MAX = 8190;

  CompletionStage<List<CreateAccountsResult>> createAccounts(List<Account> accounts);

  /**
   * How long the fsync of the last durable write took, in nanoseconds, or -1 when the backend does not know (a
   * TigerBeetle cluster syncs on its own replicas). Read right after a batch completes, it is that batch's.
   */
  default long lastSyncNanos() {
    return -1;
  }

  CompletionStage<List<CreateTransfersResult>> createTransfers(List<Transfer> transfers);

  CompletionStage<List<Account>> lookupAccounts(List<UInt128> ids);

  CompletionStage<List<Transfer>> lookupTransfers(List<UInt128> ids);

  CompletionStage<List<Transfer>> getAccountTransfers(AccountFilter filter);

  CompletionStage<List<AccountBalance>> getAccountBalances(AccountFilter filter);

  CompletionStage<List<Account>> queryAccounts(QueryFilter filter);

  CompletionStage<List<Transfer>> queryTransfers(QueryFilter filter);

  /**
   * Creates accounts given in TigerBeetle's 128-byte layout ({@link Wire}), from {@code position} to {@code limit}.
   * The buffer must not be modified until the stage completes.
   */
  default CompletionStage<List<CreateAccountsResult>> createAccountsEncoded(ByteBuffer events) {
    return createAccounts(Wire.decodeAccounts(events));
  }

  /**
   * Creates transfers given in TigerBeetle's 128-byte layout ({@link Wire}), from {@code position} to
   * {@code limit}. The buffer must not be modified until the stage completes.
   */
  default CompletionStage<List<CreateTransfersResult>> createTransfersEncoded(ByteBuffer events) {
    return createTransfers(Wire.decodeTransfers(events));
  }

  /**
   * The committed-transfer feed: transfers with a timestamp above {@code cursor} (unsigned), at most {@code limit}
   * (capped at {@link #BATCH_MAX}), in timestamp order, which is commit order. A transfer's timestamp is unique and
   * increasing, so it is the feed's cursor. Both backends answer from {@code query_transfers} with only
   * {@code timestamp_min} set: an all-zero filter scans the timestamp index (TigerBeetle 0.16.30,
   * {@code get_scan_from_query_filter}; the embedded engine's {@code Queries.queryTransfers}). The embedded engine
   * answers a read behind every earlier write, so what it returns is durable by then.
   */
  default CompletionStage<List<Transfer>> transfersAfter(long cursor, int limit) {
    if (cursor == -1L || cursor + 1 == -1L) return java.util.concurrent.CompletableFuture.completedFuture(List.of());
    return queryTransfers(new QueryFilter(UInt128.ZERO, 0, 0, 0, 0, cursor + 1, 0, limit, 0));
  }

  /** The timestamp of the newest transfer, or 0 for an empty ledger: where a new feed consumer starts. */
  default CompletionStage<Long> latestTransferTimestamp() {
    return queryTransfers(new QueryFilter(UInt128.ZERO, 0, 0, 0, 0, 0, 0, 1,
        dev.ledgerline.ledger.model.QueryFilterFlags.REVERSED))
        .thenApply(found -> found.isEmpty() ? 0L : found.get(0).timestamp());
  }

  /** Test hooks, if this backend has them (the embedded engine in test mode); a real cluster has none. */
  default java.util.Optional<LedgerTestHooks> testHooks() {
    return java.util.Optional.empty();
  }

  /**
   * Why the backend has stopped for good (e.g. a failed fsync of the embedded engine's log), if it has; empty while it
   * works. A halted backend refuses every request until the process restarts.
   */
  default java.util.Optional<String> haltReason() {
    return java.util.Optional.empty();
  }

  @Override
  void close();
}
