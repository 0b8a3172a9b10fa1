package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.GatewaySecurity;
import dev.ledgerline.gateway.auth.BearerAuthHandler;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.auth.TokenSources;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.ratelimit.RateLimitHandler;
import dev.ledgerline.gateway.revocation.RevocationCheck;
import dev.ledgerline.gateway.revocation.RevokeRoute;
import dev.ledgerline.gateway.stream.StreamHandshake;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.function.Function;

/**
 * The gateway's cross-cutting parts plugged into the API router: security headers and CORS on every request, a
 * per-address rate limit for requests without a valid token (none, a malformed header, one that does not verify, a
 * revoked one), the revocation check and the per-subject rate limit on every authenticated route, and
 * {@code POST /v1/auth/revoke}.
 */
public final class SecurityHooks implements RouteHooks {
  /** Operation of requests that present no token; limited per client address. */
  public static final String UNAUTHENTICATED = "unauthenticated";
  public static final String REVOKE_PATH = "/v1/auth/revoke";
  public static final String REVOKE_OPERATION = "auth.revoke";

  private final GatewaySecurity security;
  private final JwtAuthenticator authenticator;
  private final BodyHandler body;
  /** The per-address bucket of requests without a valid token: none, malformed, failing to verify, or revoked. */
  private final RateLimitHandler anonymous;
  private final Function<RoutingContext, String> subject = RateLimitHandler.subjectOrIp(rc -> {
    Principal p = Principal.of(rc);
    return p == null ? null : p.subject();
  });

  public SecurityHooks(GatewaySecurity security, JwtAuthenticator authenticator, BodyHandler body) {
    this.security = security;
    this.authenticator = authenticator;
    this.body = body;
    this.anonymous = RateLimitHandler.create(security.limiter(), UNAUTHENTICATED, RateLimitHandler.clientIp());
  }

  @Override
  public void beforeRoutes(Router router) {
    router.route().handler(new SecurityHeaders(security.tls()));
    CorsHandler cors = SecurityHeaders.cors(security.allowedOrigins());
    if (cors != null) {
      router.route().handler(cors);
    }
    router.route().handler(rc -> {
      TokenSources.Found token = TokenSources.ofRequest(rc.request());
      if (!token.present()) {
        anonymous.handle(rc);
        return;
      }
      HttpMethod m = rc.request().method();
      if (m != HttpMethod.GET && m != HttpMethod.HEAD) {
        // The body handler runs after this asynchronous check: hold the body until it does (it resumes).
        rc.request().pause();
        rc.addHeadersEndHandler(v -> rc.request().resume());
      }
      // Verified once here (the route's authentication then finds the principal): a token that does not verify is
      // no token, so its request is charged to the client address like one without any.
      authenticator.authenticate(token.token()).onComplete(ar -> {
        if (ar.succeeded()) {
          rc.put(Principal.KEY, ar.result());
          rc.next();
        } else {
          rc.put(BearerAuthHandler.REJECTED, ar.cause());
          anonymous.handle(rc);
        }
      });
    });
  }

  @Override
  public void extraRoutes(Router router) {
    router.route(HttpMethod.POST, REVOKE_PATH)
        .handler(EdgeGuards.authentication(new BearerAuthHandler(authenticator)));
    router.route(HttpMethod.POST, REVOKE_PATH).handler(limit(REVOKE_OPERATION));
    router.route(HttpMethod.POST, REVOKE_PATH).handler(body);
    router.route(HttpMethod.POST, REVOKE_PATH).handler(new RevokeRoute(authenticator, security.revocations()));
    // A plain GET (no upgrade) of the stream reaches the router: say how to use it.
    router.get(StreamHandshake.PATH).handler(rc -> {
      rc.response().putHeader("Upgrade", "websocket");
      Problem.of(426, "open " + StreamHandshake.PATH + " as a WebSocket").withTitle("Upgrade Required")
          .send(rc);
    });
  }

  /** Revocation check (writes fail closed), then the subject's bucket for the operation. */
  @Override
  public Handler<RoutingContext> limit(String operation) {
    RateLimitHandler rate = RateLimitHandler.create(security.limiter(), operation, subject);
    RevocationCheck reads = new RevocationCheck(security.revocations(), security.readsWhenUnavailable(), false,
        rate, anonymous);
    RevocationCheck writes = new RevocationCheck(security.revocations(), security.readsWhenUnavailable(), true,
        rate, anonymous);
    return rc -> {
      HttpMethod m = rc.request().method();
      if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
        reads.handle(rc);
      } else {
        // The body handler runs after these asynchronous checks: hold the body until it does (it resumes).
        rc.request().pause();
        // Refused before the body handler: let the connection read (and drop) the rest of the body.
        rc.addHeadersEndHandler(v -> rc.request().resume());
        writes.handle(rc);
      }
    };
  }
}
