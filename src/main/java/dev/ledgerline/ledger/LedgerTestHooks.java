package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.UInt128;
import java.util.concurrent.CompletionStage;

/** Hooks that exist only on a test-mode embedded engine (conformance cases with {@code clock}/{@code setup_balances}). */
public interface LedgerTestHooks {

  /** Overwrites the four balances of an existing account directly: no transfer, no history event. */
  CompletionStage<Void> setupBalances(UInt128 accountId, UInt128 debitsPending, UInt128 debitsPosted,
      UInt128 creditsPending, UInt128 creditsPosted);

  /** Advances the engine's prepare timestamp by {@code nanoseconds}, then runs an expiry pulse if one is due. */
  CompletionStage<Void> tick(long nanoseconds);
}
