package dev.ledgerline.gateway.ratelimit;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.function.Function;

/**
 * A route handler that takes one token for (subject, operation) and either continues with the rate-limit headers set
 * or ends the request with {@code 429 application/problem+json}.
 *
 * <p>Mount it like vertx-web's other user handlers: after {@code BodyHandler} (whose body limit bounds what a denied
 * request costs) and after authentication, so that {@link #principalOrIp()} sees the user. Placed before
 * {@code BodyHandler} the asynchronous check would let the body be consumed unread.
 */
public final class RateLimitHandler implements Handler<RoutingContext> {
  /** Operation of requests that present no valid token; limited per client address. */
  public static final String UNAUTHENTICATED = "unauthenticated";
  /** Problem type for a denial, as registered by the rate-limit draft. */
  public static final String QUOTA_EXCEEDED = "https://iana.org/assignments/http-problem-types#quota-exceeded";

  private final RateLimiter limiter;
  private final String operation;
  private final Function<RoutingContext, String> subject;

  private RateLimitHandler(RateLimiter limiter, String operation, Function<RoutingContext, String> subject) {
    if (!RateLimiter.isOperationName(operation)) {
      throw new IllegalArgumentException("operation names are 1-64 of [a-z0-9._-]: " + operation);
    }
    this.limiter = Objects.requireNonNull(limiter);
    this.operation = operation;
    this.subject = Objects.requireNonNull(subject);
  }

  /**
   * @param operation the route's name in {@code gateway.rate-limits}, e.g. {@code transfers.create}
   * @param subject who is limited; see {@link #subjectOrIp}, {@link #principalOrIp()} and {@link #clientIp()}
   */
  public static RateLimitHandler create(RateLimiter limiter, String operation,
      Function<RoutingContext, String> subject) {
    return new RateLimitHandler(limiter, operation, subject);
  }

  /**
   * {@code sub:<subject>} for an authenticated request, else {@code ip:<address>}.
   *
   * @param subjectOf the authenticated subject of a request, or null when it has none (e.g. read from wherever the
   *     authentication handler put the principal)
   */
  public static Function<RoutingContext, String> subjectOrIp(Function<RoutingContext, String> subjectOf) {
    Objects.requireNonNull(subjectOf);
    return rc -> {
      String sub = subjectOf.apply(rc);
      return sub != null ? "sub:" + sub : ip(rc);
    };
  }

  /** {@link #subjectOrIp} with the subject of vertx-web's {@code rc.user()}. */
  public static Function<RoutingContext, String> principalOrIp() {
    return subjectOrIp(rc -> {
      User user = rc.user();
      return user == null ? null : user.subject();
    });
  }

  /**
   * {@code ip:<address>} of the TCP peer. Forwarded headers are deliberately ignored: a client could set them to get
   * a fresh bucket per request. Behind a trusted proxy, supply an extractor that reads its header instead.
   */
  public static Function<RoutingContext, String> clientIp() {
    return RateLimitHandler::ip;
  }

  private static String ip(RoutingContext rc) {
    return ipSubject(rc.request().remoteAddress());
  }

  /** {@code ip:<address>} of a peer (for limits applied outside the router, such as WebSocket handshakes). */
  public static String ipSubject(SocketAddress a) {
    String host = a == null ? null : a.hostAddress();
    return "ip:" + (host == null ? "unknown" : host);
  }

  @Override
  public void handle(RoutingContext rc) {
    handle(rc, RoutingContext::next);
  }

  /** Takes a token; runs {@code allowed} when there was one, else ends the request with 429. */
  public void handle(RoutingContext rc, Handler<RoutingContext> allowed) {
    limiter.check(subject.apply(rc), operation).onComplete(ar -> {
      if (ar.failed()) {
        // The limiter answers locally when Redis fails, so this is a bug rather than an outage.
        rc.fail(ar.cause());
        return;
      }
      Decision d = ar.result();
      if (rc.response().ended() || rc.response().closed()) {
        return;
      }
      RateLimitHeaders.write(rc.response(), d);
      if (d.allowed()) {
        allowed.handle(rc);
      } else {
        reject(rc, d);
      }
    });
  }

  private void reject(RoutingContext rc, Decision d) {
    JsonObject problem = new JsonObject()
        .put("type", QUOTA_EXCEEDED)
        .put("title", "Too Many Requests")
        .put("status", 429)
        .put("detail", "rate limit of '" + d.policy().name() + "' exceeded for this client; retry after "
            + d.retryAfterSeconds() + " s")
        .put("violated-policies", new JsonArray().add(d.policy().name()))
        .put("request_id", rc.get("requestId"));
    rc.response().setStatusCode(429).putHeader("content-type", "application/problem+json").end(problem.encode());
  }
}
