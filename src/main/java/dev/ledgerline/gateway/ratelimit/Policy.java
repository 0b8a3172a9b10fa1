package dev.ledgerline.gateway.ratelimit;

import dev.ledgerline.config.LedgerlineConfig.RateLimit;

/**
 * The quota policy of one operation as advertised to clients.
 *
 * <p>A token bucket has no fixed window; the draft's {@code w} is reported as the time the bucket needs to refill
 * completely ({@code capacity / refill-per-second}, at least 1 s), so {@code q} requests per {@code w} seconds is the
 * sustained rate and {@code q} is also the burst.
 *
 * @param name operation name, used as the policy name in the headers
 * @param capacity burst size, the draft's {@code q}
 * @param refillPerSecond sustained rate
 */
public record Policy(String name, long capacity, double refillPerSecond) {
  public Policy {
    if (!RateLimiter.isOperationName(name)) {
      throw new IllegalArgumentException("operation names are 1-64 of [a-z0-9._-]: " + name);
    }
    new RateLimit(capacity, refillPerSecond); // same bounds as the configuration
  }

  static Policy of(String name, RateLimit limit) {
    return new Policy(name, limit.capacity(), limit.refillPerSecond());
  }

  /** Window in whole seconds: the time an empty bucket takes to fill. */
  public long windowSeconds() {
    return Math.max(1L, (long) Math.ceil(capacity / refillPerSecond));
  }

  /** The same policy shared by {@code members} nodes that each enforce their part locally. */
  Policy divided(int members) {
    if (members <= 1) {
      return this;
    }
    return new Policy(name, Math.max(1L, capacity / members), refillPerSecond / members);
  }

  /** The {@code RateLimit-Policy} field value, e.g. {@code "transfers.create";q=100;w=1}. */
  public String header() {
    // Names are restricted to [a-z0-9._-], so they need no escaping inside a structured-field string.
    return "\"" + name + "\";q=" + capacity + ";w=" + windowSeconds();
  }
}
