package dev.ledgerline.gateway.ratelimit;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The outcome of one rate-limit check.
 *
 * @param allowed whether the request may proceed
 * @param limit the bucket capacity that applied (the local share while degraded)
 * @param remaining whole tokens left after this request
 * @param resetSeconds seconds until one more token is available; 0 when the bucket is full (the draft's {@code t})
 * @param retryAfterSeconds on a denial, the {@code Retry-After} value: at least 1, never earlier than the next token,
 *     with jitter so that rejected clients do not return in lockstep; 0 when allowed
 * @param policy the policy that applied
 */
public record Decision(boolean allowed, long limit, long remaining, long resetSeconds, long retryAfterSeconds,
    Policy policy) {

  /**
   * Builds a decision from the bucket state.
   *
   * @param nextTokenMillis milliseconds until one more token is available (0 when full)
   */
  static Decision of(boolean allowed, Policy policy, long remaining, long nextTokenMillis) {
    long reset = ceilSeconds(nextTokenMillis);
    long retry = allowed ? 0 : withJitter(Math.max(1, reset));
    return new Decision(allowed, policy.capacity(), Math.max(0, remaining), reset, retry, policy);
  }

  static long ceilSeconds(long millis) {
    return millis <= 0 ? 0 : (millis + 999) / 1000;
  }

  /** Adds 0 to 20% (at least 0 to 1 s) so that clients denied together spread out; never shortens the wait. */
  static long withJitter(long seconds) {
    long spread = Math.max(1, seconds / 5);
    return seconds + ThreadLocalRandom.current().nextLong(spread + 1);
  }
}
