package dev.ledgerline.ledger.engine;

import java.util.Arrays;

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
    this.accountCount = sm.accountCount;
    this.transferCount = sm.transferCount;
    this.accounts = Arrays.copyOf(sm.acc, sm.accountCount * 16);
    this.chunks = sm.chunks.clone();
    int nChunks = (transferCount + (1 << 16) - 1) >>> 16;
    this.statuses = new byte[nChunks][];
    for (int i = 0; i < nChunks; i++) statuses[i] = sm.statusChunks[i].clone();
    this.history = new long[accountCount][];
    this.historyLen = new int[accountCount];
    for (int a = 0; a < accountCount; a++) {
      if (sm.accHistory[a] != null) {
        history[a] = sm.accHistory[a];
        historyLen[a] = sm.lists.length(a);
      }
    }
    this.orphans = sm.orphans.sorted();
    this.setupTouched = sm.setupTouched.stream().toArray();
  }
}
