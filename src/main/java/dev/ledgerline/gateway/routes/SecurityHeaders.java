package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.auth.TokenSources;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.ArrayList;
import java.util.Set;

/**
 * Headers on every response: {@code X-Content-Type-Options: nosniff}; {@code Strict-Transport-Security} when the
 * gateway serves TLS (browsers ignore it over plain HTTP, and it must not pin a host that has no TLS); and
 * {@code Cache-Control: no-store} on every response to a request that carried a token, so that neither a browser
 * nor a shared cache keeps account data.
 */
public final class SecurityHeaders implements Handler<RoutingContext> {
  public static final String HSTS = "max-age=31536000; includeSubDomains";
  /**
   * Routing-context flag set by a route whose answer is the caller's own data marked {@code private} with validators
   * (a cached balance): it keeps its own {@code Cache-Control} instead of {@code no-store}.
   */
  static final String PRIVATE_CACHEABLE = "ledgerline.private-cacheable";

  private final boolean tls;

  public SecurityHeaders(boolean tls) {
    this.tls = tls;
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpServerResponse response = rc.response();
    response.putHeader("X-Content-Type-Options", "nosniff");
    if (tls) {
      response.putHeader("Strict-Transport-Security", HSTS);
    }
    boolean tokenSent = TokenSources.presented(rc.request());
    rc.addHeadersEndHandler(v -> {
      if ((tokenSent || Principal.of(rc) != null) && !Boolean.TRUE.equals(rc.get(PRIVATE_CACHEABLE))) {
        response.putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
      }
    });
    rc.next();
  }

  /**
   * CORS for the configured origins only (exact matches); null when none is configured, so that no CORS header is
   * ever sent and browsers keep the same-origin policy. Credentials are allowed for the {@code ll_token} cookie; the
   * rate-limit and request-id headers are exposed to scripts.
   */
  public static CorsHandler cors(Set<String> origins) {
    if (origins.isEmpty()) {
      return null;
    }
    return CorsHandler.create().addOrigins(new ArrayList<>(origins))
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
        .allowedHeaders(Set.of("Authorization", "Content-Type", "Idempotency-Key", TokenSources.CSRF_HEADER,
            "X-Request-Id"))
        .exposedHeaders(Set.of("RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-Id", "Location"))
        .allowCredentials(true).maxAgeSeconds(600);
  }
}
