package dev.ledgerline.ledger.engine;

import java.util.Arrays;

/**
 * Pending transfers by expiry: a binary heap ordered by (expires_at, timestamp). Entries are never removed when a
 * transfer is posted, voided or rolled back; an entry is dropped when it reaches the top and no longer matches a
 * pending transfer with that expiry.
 */
final class ExpiryQueue {
  private final TransferStore transfers;
  private long[] expiresAt = new long[64];
  private long[] timestamp = new long[64];
  private int[] transfer = new int[64];
  private int size;

  ExpiryQueue(TransferStore transfers) {
    this.transfers = transfers;
  }

  /** The earliest expiry of a pending transfer, or {@link Long#MAX_VALUE} if none. */
  long next() {
    while (size > 0 && !topValid()) pop();
    return size == 0 ? Long.MAX_VALUE : expiresAt[0];
  }

  /** Removes and returns the earliest pending transfer due at {@code now}, or -1 if none is due. */
  int pollDue(long now) {
    while (size > 0) {
      if (!topValid()) {
        pop();
        continue;
      }
      if (Long.compareUnsigned(expiresAt[0], now) > 0) return -1;
      int t = transfer[0];
      pop();
      return t;
    }
    return -1;
  }

  private boolean topValid() {
    final int t = transfer[0];
    if (t >= transfers.count() || transfers.timestamp(t) != timestamp[0]) return false;
    if (transfers.status(t) != TransferStore.STATUS_PENDING) return false;
    final long timeout = transfers.timeout(t);
    return timeout > 0 && transfers.timestamp(t) + timeout * StateMachine.NS_PER_S == expiresAt[0];
  }

  private static boolean less(long at1, long ts1, long at2, long ts2) {
    int c = Long.compareUnsigned(at1, at2);
    return c < 0 || (c == 0 && Long.compareUnsigned(ts1, ts2) < 0);
  }

  void push(long at, long ts, int t) {
    if (size == expiresAt.length) {
      int cap = size * 2;
      expiresAt = Arrays.copyOf(expiresAt, cap);
      timestamp = Arrays.copyOf(timestamp, cap);
      transfer = Arrays.copyOf(transfer, cap);
    }
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!less(at, ts, expiresAt[parent], timestamp[parent])) break;
      set(i, expiresAt[parent], timestamp[parent], transfer[parent]);
      i = parent;
    }
    set(i, at, ts, t);
  }

  private void pop() {
    int last = --size;
    if (last == 0) return;
    long at = expiresAt[last];
    long ts = timestamp[last];
    int t = transfer[last];
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= last) break;
      int r = l + 1;
      int m = (r < last && less(expiresAt[r], timestamp[r], expiresAt[l], timestamp[l])) ? r : l;
      if (!less(expiresAt[m], timestamp[m], at, ts)) break;
      set(i, expiresAt[m], timestamp[m], transfer[m]);
      i = m;
    }
    set(i, at, ts, t);
  }

  /** One heap slot is three parallel arrays: written together, always. */
  private void set(int i, long at, long ts, int t) {
    expiresAt[i] = at;
    timestamp[i] = ts;
    transfer[i] = t;
  }

  /** Rebuilds the queue from the pending transfers (after loading a snapshot). */
  void rebuild() {
    size = 0;
    for (int t = 0; t < transfers.count(); t++) {
      if (transfers.status(t) != TransferStore.STATUS_PENDING) continue;
      long timeout = transfers.timeout(t);
      long ts = transfers.timestamp(t);
      if (timeout > 0) push(ts + timeout * StateMachine.NS_PER_S, ts, t);
    }
  }

  long memoryBytes() {
    return (long) expiresAt.length * 20;
  }
}
