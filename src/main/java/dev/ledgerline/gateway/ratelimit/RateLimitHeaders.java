package dev.ledgerline.gateway.ratelimit;

import io.vertx.core.http.HttpServerResponse;

/**
 * Writes the IETF rate-limit fields (draft-ietf-httpapi-ratelimit-headers-11): {@code RateLimit-Policy} and
 * {@code RateLimit} on every limited response, {@code Retry-After} on a denial. The draft dropped the older
 * {@code RateLimit-Limit/-Remaining/-Reset} names, so they are not sent.
 */
public final class RateLimitHeaders {
  public static final String POLICY = "RateLimit-Policy";
  public static final String RATE_LIMIT = "RateLimit";
  public static final String RETRY_AFTER = "Retry-After";

  private RateLimitHeaders() {}

  /** {@code "transfers.create";r=99;t=1}: remaining whole requests and seconds until one more is available. */
  public static String rateLimit(Decision d) {
    return "\"" + d.policy().name() + "\";r=" + d.remaining() + ";t=" + d.resetSeconds();
  }

  public static void write(HttpServerResponse response, Decision d) {
    response.putHeader(POLICY, d.policy().header());
    response.putHeader(RATE_LIMIT, rateLimit(d));
    if (!d.allowed()) {
      response.putHeader(RETRY_AFTER, Long.toString(d.retryAfterSeconds()));
    }
  }
}
