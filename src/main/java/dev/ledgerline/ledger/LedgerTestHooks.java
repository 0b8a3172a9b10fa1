package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Hooks that exist only on a test-mode embedded engine (conformance cases with {@code clock}/{@code setup_balances}). */
public interface LedgerTestHooks {

  /** Overwrites the four balances of an existing account directly: no transfer, no history event. */
  CompletionStage<Void> setupBalances(UInt128 accountId, UInt128 debitsPending, UInt128 debitsPosted,
      UInt128 creditsPending, UInt128 creditsPosted);

  /** Advances the engine's prepare timestamp by {@code nanoseconds}, then runs an expiry pulse if one is due. */
  CompletionStage<Void> tick(long nanoseconds);

  /**
   * Looks transfers up without counting as a request (no prepare timestamp, no pulse): how a test harness reads
   * its own records, e.g. to resolve a timestamp reference, without moving the test clock.
   */
  CompletionStage<List<Transfer>> peekTransfers(List<UInt128> ids);

  /** Like {@link #peekTransfers} for accounts. */
  CompletionStage<List<Account>> peekAccounts(List<UInt128> ids);
}
