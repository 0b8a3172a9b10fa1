package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real backend whose create completions are held back while the gate is closed: the batch is executed (and made
 * durable) at once underneath, only the answer is late, as with a TigerBeetle reply lost in the network. Records the
 * ids of each create batch it was handed. Reads pass straight through.
 */
final class GatedBackend implements LedgerBackend {
  private final LedgerBackend delegate;
  private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
  final List<List<UInt128>> batches = new CopyOnWriteArrayList<>();

  GatedBackend(LedgerBackend delegate) {
    this.delegate = delegate;
  }

  /** A ledger verticle deployed on {@code vertx} over the engine in {@code dir}, wrapped in a gate. */
  record Deployed(LedgerVerticle verticle, GatedBackend gated) {}

  /** Deploys the verticle with {@code settings} (plus its data directory) and a lease of its own. */
  static Deployed deploy(io.vertx.core.Vertx vertx, java.nio.file.Path dir, java.util.Map<String, String> settings) {
    java.util.Map<String, String> sets = new java.util.HashMap<>(settings);
    sets.put("ledger.engine.data-dir", dir.toString());
    java.util.concurrent.atomic.AtomicReference<GatedBackend> ref = new java.util.concurrent.atomic.AtomicReference<>();
    LedgerVerticle verticle = new LedgerVerticle(LeasePostgres.context(vertx,
        dev.ledgerline.testing.NodeExtension.configWith(sets)), b -> {
          ref.set(new GatedBackend(b));
          return ref.get();
        });
    vertx.deployVerticle(verticle).await();
    return new Deployed(verticle, ref.get());
  }

  void shut() {
    gate = new CompletableFuture<>();
  }

  void open() {
    gate.complete(null);
  }

  private <T> CompletionStage<T> held(CompletionStage<T> executed) {
    CompletableFuture<Void> g = gate;
    return executed.thenCombine(g, (r, v) -> r);
  }

  @Override
  public CompletionStage<List<CreateAccountsResult>> createAccounts(List<Account> accounts) {
    batches.add(accounts.stream().map(Account::id).toList());
    return held(delegate.createAccounts(accounts));
  }

  @Override
  public CompletionStage<List<CreateTransfersResult>> createTransfers(List<Transfer> transfers) {
    batches.add(transfers.stream().map(Transfer::id).toList());
    return held(delegate.createTransfers(transfers));
  }

  @Override
  public CompletionStage<List<Account>> lookupAccounts(List<UInt128> ids) {
    return delegate.lookupAccounts(ids);
  }

  @Override
  public CompletionStage<List<Transfer>> lookupTransfers(List<UInt128> ids) {
    return delegate.lookupTransfers(ids);
  }

  @Override
  public CompletionStage<List<Transfer>> getAccountTransfers(AccountFilter filter) {
    return delegate.getAccountTransfers(filter);
  }

  @Override
  public CompletionStage<List<AccountBalance>> getAccountBalances(AccountFilter filter) {
    return delegate.getAccountBalances(filter);
  }

  @Override
  public CompletionStage<List<Account>> queryAccounts(QueryFilter filter) {
    return delegate.queryAccounts(filter);
  }

  @Override
  public CompletionStage<List<Transfer>> queryTransfers(QueryFilter filter) {
    return delegate.queryTransfers(filter);
  }

  @Override
  public java.util.Optional<String> haltReason() {
    return delegate.haltReason();
  }

  @Override
  public void close() {
    open();
    delegate.close();
  }
}
