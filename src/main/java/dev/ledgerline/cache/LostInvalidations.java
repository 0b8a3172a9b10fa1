package dev.ledgerline.cache;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The L2 keys (full Redis names) and tags whose invalidation Redis missed, bounded at {@code max}: what a cache drops
 * from L2 before it reads L2 again. Not thread-safe: its cache guards it with the same monitor as its degraded flag,
 * so that nothing is remembered after the last flush emptied it.
 */
final class LostInvalidations {
  /** A part of what was lost, taken out for one flush. */
  record Chunk(List<String> keys, List<String> tags) {}

  private final int max;
  private final Set<String> keys = new LinkedHashSet<>();
  private final Set<String> tags = new LinkedHashSet<>();
  private boolean overflowed;

  LostInvalidations(int max) {
    this.max = max;
  }

  /** Remembers them up to the bound; true the first time one is past it (since the last time it was emptied). */
  boolean add(Collection<String> lostKeys, Collection<String> lostTags) {
    for (String k : lostKeys) {
      if (size() >= max) return overflow();
      keys.add(k);
    }
    for (String t : lostTags) {
      if (size() >= max) return overflow();
      tags.add(t);
    }
    return false;
  }

  private boolean overflow() {
    boolean first = !overflowed;
    overflowed = true;
    return first;
  }

  int size() {
    return keys.size() + tags.size();
  }

  /** Up to {@code most} of them, keys first, taken out; null when none is left (and the bound is armed again). */
  Chunk take(int most) {
    if (keys.isEmpty() && tags.isEmpty()) {
      overflowed = false;
      return null;
    }
    List<String> k = take(keys, most);
    return new Chunk(k, take(tags, Math.max(0, most - k.size())));
  }

  private static List<String> take(Set<String> from, int most) {
    List<String> out = new ArrayList<>(Math.min(most, from.size()));
    var it = from.iterator();
    while (it.hasNext() && out.size() < most) {
      out.add(it.next());
      it.remove();
    }
    return out;
  }
}
