package dev.ledgerline.ledger.tigerbeetle;

import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.LedgerException;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Gives one conformance case a fresh-looking ledger on a shared, long-lived one (a real TigerBeetle cluster cannot be
 * reformatted per case). Ids are moved into a namespace of their own: every id-like u128 other than 0 and 2^128-1
 * (whose special meaning cases test) has its high half XOR-ed with a random salt, both ways. Queries over all
 * accounts or transfers only see records created after the case began. Closing it leaves the shared ledger open.
 */
public final class IsolatedCaseBackend implements LedgerBackend {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Ledgers that did not answer once: later cases fail at once instead of waiting again. */
  private static final java.util.Set<LedgerBackend> UNREACHABLE =
      java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));

  private final LedgerBackend shared;
  private final long salt;
  private final long since;

  private IsolatedCaseBackend(LedgerBackend shared, long salt, long since) {
    this.shared = shared;
    this.salt = salt;
    this.since = since;
  }

  /** Opens a case: records the ledger's current time through a marker account of the case's own namespace. */
  public static IsolatedCaseBackend open(LedgerBackend shared) throws InterruptedException {
    if (UNREACHABLE.contains(shared)) throw new LedgerException("the ledger did not answer an earlier case");
    long salt = RANDOM.nextLong() | 1L << 40;
    UInt128 marker = UInt128.of(RANDOM.nextLong() | 1, salt ^ 0x5A5A5A5AL);
    try {
      List<CreateAccountsResult> r = shared.createAccounts(List.of(Account.of(marker, 1, 1, 0)))
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
      if (!r.isEmpty()) throw new LedgerException("cannot create the case marker account: " + r.get(0).result());
      List<Account> found = shared.lookupAccounts(List.of(marker)).toCompletableFuture().get(60, TimeUnit.SECONDS);
      if (found.isEmpty()) throw new LedgerException("the case marker account was not found");
      return new IsolatedCaseBackend(shared, salt, found.get(0).timestamp() + 1);
    } catch (TimeoutException e) {
      UNREACHABLE.add(shared);
      throw new LedgerException("the ledger did not answer within 60 s (is the cluster reachable?)", e);
    } catch (ExecutionException e) {
      throw new LedgerException("cannot open an isolated case: " + e.getCause(), e);
    }
  }

  private UInt128 in(UInt128 id) {
    return id.isZero() || id.isMax() ? id : UInt128.of(id.lo(), id.hi() ^ salt);
  }

  private List<UInt128> in(List<UInt128> ids) {
    return ids.stream().map(this::in).toList();
  }

  private Account in(Account a) {
    return new Account(in(a.id()), a.debitsPending(), a.debitsPosted(), a.creditsPending(), a.creditsPosted(),
        a.userData128(), a.userData64(), a.userData32(), a.reserved(), a.ledger(), a.code(), a.flags(),
        a.timestamp());
  }

  private Transfer in(Transfer t) {
    return new Transfer(in(t.id()), in(t.debitAccountId()), in(t.creditAccountId()), t.amount(), in(t.pendingId()),
        t.userData128(), t.userData64(), t.userData32(), t.timeout(), t.ledger(), t.code(), t.flags(), t.timestamp());
  }

  // XOR is its own inverse: the same maps bring records back into the case's view.
  private List<Account> accountsOut(List<Account> accounts) {
    return accounts.stream().map(this::in).toList();
  }

  private List<Transfer> transfersOut(List<Transfer> transfers) {
    return transfers.stream().map(this::in).toList();
  }

  private QueryFilter scoped(QueryFilter f) {
    long min = Long.compareUnsigned(f.timestampMin(), since) < 0 ? since : f.timestampMin();
    return new QueryFilter(f.userData128(), f.userData64(), f.userData32(), f.ledger(), f.code(), min,
        f.timestampMax(), f.limit(), f.flags(), f.reservedNonZero());
  }

  private AccountFilter in(AccountFilter f) {
    return new AccountFilter(in(f.accountId()), f.userData128(), f.userData64(), f.userData32(), f.code(),
        f.timestampMin(), f.timestampMax(), f.limit(), f.flags(), f.reservedNonZero());
  }

  @Override
  public CompletionStage<List<CreateAccountsResult>> createAccounts(List<Account> accounts) {
    return shared.createAccounts(accounts.stream().map(this::in).toList());
  }

  @Override
  public CompletionStage<List<CreateTransfersResult>> createTransfers(List<Transfer> transfers) {
    return shared.createTransfers(transfers.stream().map(this::in).toList());
  }

  @Override
  public CompletionStage<List<Account>> lookupAccounts(List<UInt128> ids) {
    return shared.lookupAccounts(in(ids)).thenApply(this::accountsOut);
  }

  @Override
  public CompletionStage<List<Transfer>> lookupTransfers(List<UInt128> ids) {
    return shared.lookupTransfers(in(ids)).thenApply(this::transfersOut);
  }

  @Override
  public CompletionStage<List<Transfer>> getAccountTransfers(AccountFilter filter) {
    return shared.getAccountTransfers(in(filter)).thenApply(this::transfersOut);
  }

  @Override
  public CompletionStage<List<AccountBalance>> getAccountBalances(AccountFilter filter) {
    return shared.getAccountBalances(in(filter));
  }

  @Override
  public CompletionStage<List<Account>> queryAccounts(QueryFilter filter) {
    return shared.queryAccounts(scoped(filter)).thenApply(this::accountsOut);
  }

  @Override
  public CompletionStage<List<Transfer>> queryTransfers(QueryFilter filter) {
    return shared.queryTransfers(scoped(filter)).thenApply(this::transfersOut);
  }

  /** The shared ledger stays open for the next case. */
  @Override
  public void close() {}
}
