package dev.ledgerline.gateway;

import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.node.NodeContext;
import dev.ledgerline.node.RequestIds;
import dev.ledgerline.node.RoleVerticle;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;

/** The public HTTP API. Until the API routes land it answers every path with a problem+json 404. */
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
    try {
      // First, before listening: with no verification key the gateway must not start (vert.x-auth-jwt would then
      // accept unsigned tokens).
      authenticator = JwtAuthenticator.shared(vertx, node.config());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Router router = Router.router(vertx);
    router.route().handler(new RequestIds("gateway"));
    router.route().handler(rc -> rc.response().setStatusCode(404)
        .putHeader("content-type", "application/problem+json")
        .end(new JsonObject().put("type", "about:blank").put("title", "Not Found").put("status", 404)
            .put("detail", "no such resource").put("request_id", RequestIds.of(rc)).encode()));
    var gw = node.config().gateway();
    return vertx.createHttpServer().requestHandler(router).listen(gw.port(), gw.host()).onSuccess(s -> server = s);
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
