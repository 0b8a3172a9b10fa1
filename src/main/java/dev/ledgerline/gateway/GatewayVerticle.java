package dev.ledgerline.gateway;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.http.HttpEdge;
import dev.ledgerline.gateway.routes.ApiRouter;
import dev.ledgerline.gateway.routes.SearchRoutes;
import dev.ledgerline.gateway.routes.InstitutionRoutes;
import dev.ledgerline.gateway.routes.LinkedAccountRoutes;
import dev.ledgerline.gateway.routes.EventAdminRoutes;
import dev.ledgerline.gateway.routes.UserRoutes;
import dev.ledgerline.gateway.routes.WebhookRoutes;
import dev.ledgerline.gateway.stream.StreamHandshake;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.roles.RoleVerticle;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;

/**
 * The public HTTP API: wiring only. The node-scoped parts come from {@link GatewayComponents}, built once by the node
 * for all its gateway instances; the routes are assembled by {@link ApiRouter}.
 */
public final class GatewayVerticle extends RoleVerticle {
  private final GatewayComponents gateway;
  private HttpServer server;

  public GatewayVerticle(NodeContext node, GatewayComponents gateway) {
    super(node);
    this.gateway = gateway;
  }

  @Override
  public Role role() {
    return Role.GATEWAY;
  }

  @Override
  protected Future<?> startRole() {
    Router router;
    StreamHandshake stream;
    HttpServerOptions options;
    HttpEdge edge;
    try {
      router = ApiRouter.create(vertx, node.config(), new ApiRouter.Parts(gateway.authenticator(), gateway.limiter(),
          gateway.revocations(), gateway.readsWhenUnavailable(), gateway.ledger(), gateway.access(),
          gateway.idempotencyForInstance(vertx), gateway.tls().enabled(), gateway.allowedOrigins(),
          gateway.userCheck(), new UserRoutes(vertx, gateway.users()),
          new LinkedAccountRoutes(gateway.linkedAccounts(), gateway.paymentStore()::linkInUse),
          new InstitutionRoutes(gateway.provider(), gateway::publicCacheControl),
          new EventAdminRoutes(gateway.relay()), gateway.payments(), gateway.balances(),
          gateway.webhooks(), new WebhookRoutes(gateway.webhookEndpoints()), gateway.transactions(),
          new SearchRoutes(gateway.search(), gateway.cursorKey()),
          gateway.ledgerKeys()));
      stream = new StreamHandshake(vertx, gateway.authenticator(), gateway.revocations(),
          gateway.readsWhenUnavailable(), gateway.userCheck(), gateway.limiter(), gateway.access(), gateway.ledger(),
          gateway.streamMetrics(), gateway.cursorKey(), gateway.stream(), gateway.clock(), gateway.balances());
      edge = new HttpEdge(vertx, HttpEdge.Settings.from(node.config()), gateway.connections());
      options = edge.apply(serverOptions());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    // The edge answers what Vert.x refuses and bounds slow clients; stream handshakes are taken before the router.
    return gateway.started().compose(v -> edge.install(vertx.createHttpServer(options), router, stream::take)
        .listen()).onSuccess(s -> server = s);
  }

  private HttpServerOptions serverOptions() {
    var gw = node.config().gateway();
    HttpServerOptions options = new HttpServerOptions().setPort(gw.port()).setHost(gw.host());
    LedgerlineConfig.GatewayTls tls = gateway.tls();
    if (tls.enabled()) {
      if (tls.cert().isEmpty() || tls.key().isEmpty()) {
        throw new IllegalStateException("gateway.tls.enabled needs gateway.tls.cert and gateway.tls.key (PEM files)");
      }
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert()).setKeyPath(tls.key()));
    }
    return options;
  }

  /** The token verifier of this gateway. */
  public JwtAuthenticator authenticator() {
    return gateway.authenticator();
  }

  @Override
  protected Future<?> stopRole() {
    // Stop accepting, let in-flight requests finish within the node's shutdown budget.
    long ms = node.config().node().shutdownTimeout().toMillis();
    return server == null ? Future.succeededFuture() : server.shutdown(ms, TimeUnit.MILLISECONDS);
  }
}
