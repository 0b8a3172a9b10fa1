package dev.ledgerline.gateway.routes;

import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Extension points of the router assembly, so that cross-cutting parts (rate limits, token revocation, security
 * headers, CORS, the stream route) plug in without editing the route list.
 */
public interface RouteHooks {
  RouteHooks NONE = new RouteHooks() {};

  /** Runs on every request first, after request ids (e.g. security headers, CORS). */
  default void beforeRoutes(Router router) {}

  /** Extra routes added before the API's own (e.g. a WebSocket stream). */
  default void extraRoutes(Router router) {}

  /**
   * Per-route handler run right after authentication and before the body is read, by operation name
   * ({@code transfers.create}, {@code transfers.batch}, {@code transfers.read}, {@code accounts.create},
   * {@code accounts.read}, {@code accounts.query}); null for none. Rate limits and revocation checks go here.
   */
  default Handler<RoutingContext> limit(String operation) {
    return null;
  }
}
