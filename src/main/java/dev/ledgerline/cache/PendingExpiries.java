package dev.ledgerline.cache;

import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * When the pending transfers this node heard of expire. An expiry changes both accounts' pending balances without a
 * transfer of its own, so no committed transfer drops their cached balances: these are dropped when the expiry is
 * due, {@link #SLACK_MS} after it (the ledger expires a due transfer on its next pulse, within a tenth of a second).
 *
 * <p>Keys are grouped by {@link #BUCKET_MS}; at most {@code capacity} keys are tracked, beyond which an expiry is
 * left to the entry's TTL and counted. A pending transfer posted or voided first makes its drop a harmless extra one.
 * Plain and synchronized (commits are heard and the timer fires on the cache's contexts); the clock is the caller's.
 */
final class PendingExpiries {
  static final long SLACK_MS = 500;
  static final long BUCKET_MS = 250;

  private final int capacity;
  private final TreeMap<Long, Set<String>> due = new TreeMap<>();
  private int size;
  private long dropped;

  PendingExpiries(int capacity) {
    this.capacity = capacity;
  }

  /** Remembers the accounts of each pending transfer with a timeout in {@code transfers}; the keys not tracked. */
  synchronized int add(List<Transfer> transfers) {
    int untracked = 0;
    for (Transfer t : transfers) {
      if ((t.flags() & TransferFlags.PENDING) == 0 || t.timeout() == 0) continue;
      // The ledger's timestamp is in nanoseconds; the timeout is u32 seconds.
      long at = t.timestamp() / 1_000_000 + Integer.toUnsignedLong(t.timeout()) * 1000 + SLACK_MS;
      Set<String> keys = due.computeIfAbsent((at / BUCKET_MS + 1) * BUCKET_MS, k -> new LinkedHashSet<>());
      for (String key : List.of(t.debitAccountId().toString(), t.creditAccountId().toString())) {
        if (size >= capacity) {
          dropped++;
          untracked++;
        } else if (keys.add(key)) {
          size++;
        }
      }
    }
    return untracked;
  }

  /** The keys whose expiry is due at {@code nowMillis}, forgotten here. */
  synchronized List<String> takeDue(long nowMillis) {
    List<String> out = new ArrayList<>();
    while (!due.isEmpty() && due.firstKey() <= nowMillis) {
      Map.Entry<Long, Set<String>> first = due.pollFirstEntry();
      size -= first.getValue().size();
      out.addAll(first.getValue());
    }
    return out;
  }

  synchronized int size() {
    return size;
  }

  /** Keys not tracked because the capacity was reached (left to the TTL). */
  synchronized long dropped() {
    return dropped;
  }
}
