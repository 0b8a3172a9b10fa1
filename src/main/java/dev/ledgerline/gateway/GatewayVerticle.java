package dev.ledgerline.gateway;

import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.gateway.api.ApiRouter;
import dev.ledgerline.gateway.api.ApiServices;
import dev.ledgerline.gateway.api.RouteHooks;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.node.NodeContext;
import dev.ledgerline.node.RoleVerticle;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;

/** The public HTTP API: wiring only; the routes are assembled by {@link ApiRouter}. */
public final class GatewayVerticle extends RoleVerticle {
  private HttpServer server;
  private JwtAuthenticator authenticator;

  public GatewayVerticle(NodeContext node) {
    super(node);
  }

  @Override
  public Role role() {
    return Role.GATEWAY;
  }

  @Override
  protected Future<?> startRole() {
    Router router;
    try {
      // First, before listening: with no verification key the gateway must not start (vert.x-auth-jwt would then
      // accept unsigned tokens).
      authenticator = JwtAuthenticator.shared(vertx, node.config());
      router = ApiRouter.create(vertx, node.config(), authenticator, ApiServices.shared(node), hooks());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    var gw = node.config().gateway();
    return vertx.createHttpServer().requestHandler(router).listen(gw.port(), gw.host()).onSuccess(s -> server = s);
  }

  /** Cross-cutting parts plugged into the router (rate limits, revocation, headers); none yet. */
  private RouteHooks hooks() {
    return RouteHooks.NONE;
  }

  /** The token verifier of this gateway (null before start). */
  public JwtAuthenticator authenticator() {
    return authenticator;
  }

  @Override
  protected Future<?> stopRole() {
    // Stop accepting, let in-flight requests finish within the node's shutdown budget.
    long ms = node.config().node().shutdownTimeout().toMillis();
    return server == null ? Future.succeededFuture() : server.shutdown(ms, TimeUnit.MILLISECONDS);
  }
}
