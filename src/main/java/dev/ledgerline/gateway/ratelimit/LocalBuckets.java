package dev.ledgerline.gateway.ratelimit;

import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory token buckets for when Redis cannot be reached. Same algorithm as the Redis script, on this JVM's
 * monotonic clock. Idle buckets are dropped once full again (a full bucket and no bucket are equivalent), and the
 * map is bounded so that a flood of distinct subjects cannot exhaust memory.
 */
final class LocalBuckets {
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final int maxBuckets;

  LocalBuckets(int maxBuckets) {
    this.maxBuckets = maxBuckets;
  }

  Decision take(String key, Policy policy, long nowNanos) {
    if (buckets.size() >= maxBuckets && !buckets.containsKey(key)) {
      sweep(nowNanos);
      if (buckets.size() >= maxBuckets) {
        // Still full of active subjects: forgetting them errs towards serving requests, which the degraded mode
        // accepts anyway (it is a bounded fail-open until Redis is back).
        buckets.clear();
      }
    }
    Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(policy.capacity(), nowNanos));
    return b.take(policy, nowNanos);
  }

  /** Drops buckets that have refilled completely. */
  void sweep(long nowNanos) {
    buckets.values().removeIf(b -> b.isFull(nowNanos));
  }

  void clear() {
    buckets.clear();
  }

  int size() {
    return buckets.size();
  }

  private static final class Bucket {
    private double tokens;
    private long updatedNanos;
    private long capacity;
    private double refillPerNano;

    Bucket(long capacity, long nowNanos) {
      this.tokens = capacity;
      this.capacity = capacity;
      this.updatedNanos = nowNanos;
    }

    synchronized Decision take(Policy policy, long nowNanos) {
      // The policy may change between calls (reload, membership change): refill under the old rate, clamp to the new
      // capacity, then continue with the new rate.
      refill(nowNanos);
      capacity = policy.capacity();
      refillPerNano = policy.refillPerSecond() / 1e9;
      tokens = Math.min(tokens, capacity);
      boolean allowed = tokens >= 1;
      if (allowed) {
        tokens -= 1;
      }
      long remaining = (long) Math.floor(tokens);
      long nextMillis = tokens >= capacity ? 0
          : (long) Math.ceil((remaining + 1 - tokens) / policy.refillPerSecond() * 1000);
      return Decision.of(allowed, policy, remaining, nextMillis);
    }

    synchronized boolean isFull(long nowNanos) {
      refill(nowNanos);
      return tokens >= capacity;
    }

    private void refill(long nowNanos) {
      long elapsed = nowNanos - updatedNanos;
      if (elapsed > 0) {
        tokens = Math.min(capacity, tokens + elapsed * refillPerNano);
        updatedNanos = nowNanos;
      }
    }
  }
}
