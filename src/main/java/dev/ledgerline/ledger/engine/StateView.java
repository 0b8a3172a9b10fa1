package dev.ledgerline.ledger.engine;

/**
 * A consistent point-in-time view of a {@link StateMachine}, captured on the engine thread and written elsewhere.
 * Transfer records below {@code transferCount} and history entries below the captured lengths are never modified
 * afterwards (only appended to), so they are shared, not copied; mutable parts (accounts, statuses) are copied.
 */
final class StateView {
  final long opNumber;
  final long commitTimestamp;
  final long fenceEpoch;
  final int accountCount;
  final int transferCount;
  final long[] accounts;
  final long[][] chunks;
  final byte[][] statuses;
  final long[][] history;
  final int[] historyLen;
  final long[] orphans;
  final int[] setupTouched;

  StateView(StateMachine sm, long opNumber) {
    this.opNumber = opNumber;
    this.commitTimestamp = sm.commitTimestamp;
    this.fenceEpoch = sm.fenceEpoch;
    this.accountCount = sm.accounts.count();
    this.transferCount = sm.transfers.count();
    this.accounts = sm.accounts.copyRecords();
    this.chunks = sm.transfers.sharedChunks();
    this.statuses = sm.transfers.copyStatuses();
    this.history = new long[accountCount][];
    this.historyLen = new int[accountCount];
    for (int a = 0; a < accountCount; a++) {
      long[] balances = sm.accounts.history(a);
      if (balances != null) {
        history[a] = balances;
        historyLen[a] = sm.accounts.transferCount(a);
      }
    }
    this.orphans = sm.orphans.sorted();
    this.setupTouched = sm.setupTouched.stream().toArray();
  }

  /** The flags of account {@code a} as captured. */
  int accountFlags(int a) {
    return Fields.flags(accounts[a * Fields.LONGS + Fields.LEDGER_CODE_FLAGS]);
  }
}
