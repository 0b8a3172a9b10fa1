package dev.ledgerline.cache;

import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * When the pending transfers this node heard of expire. An expiry changes both accounts' pending balances without a
 * transfer of its own, so no committed transfer drops their cached balances: these are dropped when the expiry is
 * due, {@link #SLACK_MS} after it (the ledger expires a due transfer on its next pulse, within a tenth of a second).
 *
 * <p>Each key is dropped twice: when due, and again {@link #AGAIN_MS} later. A ledger that expires late (its pulse
 * held up by a busy machine or a lease renewal) would otherwise have a read in between cache the balance that still
 * holds the hold, for a whole TTL; the second drop bounds that to a few seconds.
 *
 * <p>Keys are grouped by {@link #BUCKET_MS}; at most {@code capacity} keys are tracked, beyond which an expiry is
 * left to the entry's TTL and counted. A pending transfer posted or voided first makes its drop a harmless extra one.
 * Plain and synchronized (commits are heard and the timer fires on the cache's contexts); the clock is the caller's.
 */
final class PendingExpiries {
  static final long SLACK_MS = 500;
  static final long BUCKET_MS = 250;
  static final long AGAIN_MS = 4_500;

  private final int capacity;
  private final TreeMap<Long, Set<String>> due = new TreeMap<>();
  /** Keys dropped once, by when they are dropped again. */
  private final TreeMap<Long, Set<String>> again = new TreeMap<>();
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
      long bucket = bucket(at);
      for (String key : List.of(t.debitAccountId().toString(), t.creditAccountId().toString())) {
        if (size >= capacity) {
          dropped++;
          untracked++;
        } else if (due.computeIfAbsent(bucket, k -> new LinkedHashSet<>()).add(key)) {
          // A bucket exists only for a key it holds: the capacity bounds the buckets too, whatever the timeouts.
          size++;
        }
      }
    }
    return untracked;
  }

  private static long bucket(long atMillis) {
    return (atMillis / BUCKET_MS + 1) * BUCKET_MS;
  }

  /**
   * The keys to drop at {@code nowMillis}: those whose expiry is due (kept for their second drop) and those due for
   * their second drop (forgotten here).
   */
  synchronized List<String> takeDue(long nowMillis) {
    Set<String> out = new LinkedHashSet<>();
    while (!again.isEmpty() && again.firstKey() <= nowMillis) {
      Set<String> keys = again.pollFirstEntry().getValue();
      size -= keys.size();
      out.addAll(keys);
    }
    while (!due.isEmpty() && due.firstKey() <= nowMillis) {
      Set<String> keys = due.pollFirstEntry().getValue();
      Set<String> later = again.computeIfAbsent(bucket(Math.min(nowMillis, Long.MAX_VALUE / 2) + AGAIN_MS),
          k -> new LinkedHashSet<>());
      for (String k : keys) {
        if (!later.add(k)) size--;
        out.add(k);
      }
    }
    return new ArrayList<>(out);
  }

  synchronized int size() {
    return size;
  }

  /** Expiry times remembered, for a drop or the second drop. */
  synchronized int buckets() {
    return due.size() + again.size();
  }

  /** Keys not tracked because the capacity was reached (left to the TTL). */
  synchronized long dropped() {
    return dropped;
  }
}
