package dev.ledgerline.providers;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ledgerline.providers.PaymentProvider.Accounts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Balance reads through the breaker, with the last good answer kept per linked item (Caffeine). While the provider
 * is unavailable (its breaker open, or the call failing for health reasons) the last good balances are served marked
 * stale with their age; without one the read fails with {@link ProviderUnavailableException} and its retry-after.
 * Declines, invalid tokens and other refusals are passed on: stale data would hide that the link is broken.
 *
 * <p>The cache key is the caller's id of the linked item (never the access token, which is a secret).
 */
public final class BalanceReads {
  /** Balances as read: {@code stale} when they are the last good ones, {@code age} since they were fetched. */
  public record BalanceRead(Accounts accounts, boolean stale, Duration age, Instant fetchedAt) {}

  private record Cached(Accounts accounts, Instant fetchedAt) {}

  private final PaymentProvider provider;
  private final Cache<String, Cached> lastGood;
  private final Duration maxStale;
  private final Clock clock;
  private final Counter staleServed;

  public BalanceReads(PaymentProvider provider, long cacheSize, Duration maxStale, MeterRegistry registry,
      Clock clock) {
    this.provider = provider;
    this.maxStale = maxStale;
    this.clock = clock;
    this.lastGood = Caffeine.newBuilder().maximumSize(cacheSize).expireAfterWrite(maxStale).build();
    this.staleServed = Counter.builder("ledgerline.provider.balances.stale")
        .description("balance reads answered with the last good value because the provider was unavailable")
        .tag("provider", provider.name()).register(registry);
  }

  /** Fresh balances of the item {@code key} (the linked item's id), or its last good ones while the provider is down. */
  public Future<BalanceRead> read(String key, String accessToken) {
    return provider.balances(accessToken).transform(ar -> {
      Instant now = clock.instant();
      if (ar.succeeded()) {
        lastGood.put(key, new Cached(ar.result(), now));
        return Future.succeededFuture(new BalanceRead(ar.result(), false, Duration.ZERO, now));
      }
      if (!(ar.cause() instanceof ProviderUnavailableException)) {
        return Future.failedFuture(ar.cause());
      }
      Cached c = lastGood.getIfPresent(key);
      Duration age = c == null ? null : Duration.between(c.fetchedAt(), now);
      if (c == null || age.compareTo(maxStale) > 0) {
        return Future.failedFuture(ar.cause());
      }
      staleServed.increment();
      return Future.succeededFuture(new BalanceRead(c.accounts(), true, age.isNegative() ? Duration.ZERO : age,
          c.fetchedAt()));
    });
  }

  /** Forgets an item's last good balances (its link was deleted). */
  public void forget(String key) {
    lastGood.invalidate(key);
  }
}
