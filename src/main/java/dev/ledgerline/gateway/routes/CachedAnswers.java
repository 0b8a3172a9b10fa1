package dev.ledgerline.gateway.routes;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ledgerline.cache.BalanceCache;
import dev.ledgerline.cache.MultiLayerCache;
import dev.ledgerline.cache.TransactionCache;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.ResponseJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP validators and freshness of answers served from a cache (RFC 9110 §8.8, §13.1.2; RFC 9111 §5.2). Private data
 * only: {@code Cache-Control: private} so that no shared cache stores it, and {@code Vary} on the credentials.
 */
final class CachedAnswers {
  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;
  /**
   * Each cached balance's JSON, encoded once per cached value rather than once per hit (its u128 fields cost a
   * BigInteger conversion each); weak keys compare by identity and go with the cache's own entries.
   */
  private static final Cache<BalanceCache.Balance, Buffer> BODIES = Caffeine.newBuilder().weakKeys()
      .maximumSize(100_000).build();

  /** The {@code Date} header of the current second: formatting it is a visible share of a hit's cost. */
  private record HttpDate(long second, String text) {}

  private static volatile HttpDate date = new HttpDate(-1, "");

  private CachedAnswers() {}

  /**
   * Whether the request reads through to the source: {@code ?consistent=true}, or {@code Cache-Control: no-cache}
   * (or {@code max-age=0}); a {@code consistent} that is not a boolean is a 400.
   */
  static boolean consistent(RoutingContext rc) {
    List<FieldError> errors = new ArrayList<>();
    boolean consistent = Page.bool(rc.queryParams(), "consistent", false, errors)
        || noCache(rc.request().getHeader("Cache-Control"));
    if (!errors.isEmpty()) {
      throw new InvalidRequestException(errors);
    }
    return consistent;
  }

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

  /** What a cached answer says: its validator, age and freshness, which layer answered, and its body. */
  record View(String etag, long ageMillis, long freshMillis, String served, Buffer body) {
    static View of(BalanceCache.Answer a) {
      return new View(a.balance().etag(), a.ageMillis(), a.freshMillis(), switch (a.served()) {
        case L1 -> "L1";
        case L2 -> "L2";
        case MISS -> "miss";
        case REFRESH -> "refresh";
      }, null);
    }

    static View of(MultiLayerCache.Entry<TransactionCache.Cached> e, long now) {
      return new View(e.value().etag(), e.ageMillis(now), e.remainingMillis(now), switch (e.source()) {
        case L1 -> "L1";
        case L2 -> "L2";
        case LOAD -> "miss";
      }, e.value().body());
    }
  }

  private static String httpDate() {
    long now = System.currentTimeMillis() / 1000;
    HttpDate d = date;
    if (d.second() != now) {
      d = new HttpDate(now, HTTP_DATE.format(ZonedDateTime.ofInstant(java.time.Instant.ofEpochSecond(now),
          ZoneOffset.UTC)));
      date = d;
    }
    return d.text();
  }

  /**
   * A reply with the balance's {@code ETag} and {@code Age} (and {@code X-Cache} when {@code debug}), for answers
   * that show one balance but are not GETs of it (they stay {@code no-store}).
   */
  static Reply stated(Reply reply, BalanceCache.Answer a, boolean debug) {
    View v = View.of(a);
    Reply r = reply.withHeader("ETag", v.etag()).withHeader("Age", String.valueOf(v.ageMillis() / 1000));
    return debug ? r.withHeader("X-Cache", v.served()) : r;
  }

  /** 200 with the balance, or 304 when the client's tag is the current version. */
  static void send(RoutingContext rc, BalanceCache.Answer a, String ifNoneMatch, boolean debug) {
    View v = View.of(a);
    send(rc, new View(v.etag(), v.ageMillis(), v.freshMillis(), v.served(),
        BODIES.get(a.balance(), b -> ResponseJson.account(b.account()))), ifNoneMatch, debug);
  }

  /**
   * 200 with the answer's body, or 304 when the client's tag is the current one; either way with its {@code ETag},
   * {@code Age}, private freshness and {@code Vary} (and {@code X-Cache} when {@code debug}).
   */
  static void send(RoutingContext rc, View a, String ifNoneMatch, boolean debug) {
    // SecurityHeaders would make every authenticated answer no-store; this one is the caller's own and may be kept
    // by the caller's client (private) while fresh.
    rc.put(SecurityHeaders.PRIVATE_CACHEABLE, true);
    HttpServerResponse r = rc.response();
    String etag = a.etag();
    // Date lets a client cache compute the answer's age (RFC 9111 §4.2.3).
    r.putHeader("Date", httpDate());
    r.putHeader("ETag", etag).putHeader("Age", String.valueOf(a.ageMillis() / 1000))
        .putHeader("Cache-Control", "private, max-age=" + Math.max(0, a.freshMillis() / 1000))
        .putHeader("Vary", "Authorization, Cookie");
    if (debug) {
      r.putHeader("X-Cache", a.served());
    }
    if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
      r.setStatusCode(304).end();
      return;
    }
    r.setStatusCode(200).putHeader("Content-Type", "application/json").end(a.body());
  }
}
