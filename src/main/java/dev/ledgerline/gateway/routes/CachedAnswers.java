package dev.ledgerline.gateway.routes;

import dev.ledgerline.cache.BalanceCache;
import dev.ledgerline.gateway.json.ResponseJson;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * HTTP validators and freshness of answers served from a cache (RFC 9110 §8.8, §13.1.2; RFC 9111 §5.2). Private data
 * only: {@code Cache-Control: private} so that no shared cache stores it, and {@code Vary} on the credentials.
 */
final class CachedAnswers {
  private CachedAnswers() {}

  /** Whether a request's {@code Cache-Control} asks for an answer validated at the source. */
  static boolean noCache(String cacheControl) {
    if (cacheControl == null) {
      return false;
    }
    for (String d : cacheControl.split(",")) {
      String t = d.trim().toLowerCase(Locale.ROOT);
      if (t.equals("no-cache") || t.equals("max-age=0")) {
        return true;
      }
    }
    return false;
  }

  /** Weak comparison of {@code If-None-Match} with a strong tag (RFC 9110 §13.1.2); {@code *} matches any. */
  static boolean matches(String ifNoneMatch, String etag) {
    for (String t : ifNoneMatch.split(",")) {
      String tag = t.trim();
      if (tag.equals("*")) {
        return true;
      }
      if (tag.startsWith("W/")) {
        tag = tag.substring(2);
      }
      if (tag.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  /** 200 with the balance, or 304 when the client's tag is the current version. */
  static void send(RoutingContext rc, BalanceCache.Answer a, String ifNoneMatch, boolean debug) {
    // SecurityHeaders would make every authenticated answer no-store; this one is the caller's own and may be kept
    // by the caller's client (private) while fresh.
    rc.put(SecurityHeaders.PRIVATE_CACHEABLE, true);
    HttpServerResponse r = rc.response();
    String etag = a.balance().etag();
    // Date lets a client cache compute the answer's age (RFC 9111 §4.2.3).
    r.putHeader("Date", java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
        java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)));
    r.putHeader("ETag", etag).putHeader("Age", String.valueOf(a.ageMillis() / 1000))
        .putHeader("Cache-Control", "private, max-age=" + Math.max(0, a.freshMillis() / 1000))
        .putHeader("Vary", "Authorization, Cookie");
    if (debug) {
      r.putHeader("X-Cache", switch (a.served()) {
        case L1 -> "L1";
        case L2 -> "L2";
        case MISS -> "miss";
        case REFRESH -> "refresh";
      });
    }
    if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
      r.setStatusCode(304).end();
      return;
    }
    r.setStatusCode(200).putHeader("Content-Type", "application/json")
        .end(ResponseJson.account(a.balance().account()));
  }
}
