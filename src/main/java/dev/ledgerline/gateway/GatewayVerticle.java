package dev.ledgerline.gateway;

import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.http.HttpEdge;
import dev.ledgerline.gateway.routes.ApiRouter;
import dev.ledgerline.gateway.stream.StreamHandshake;
import dev.ledgerline.gateway.stream.StreamMetrics;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.roles.RoleVerticle;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.time.Clock;
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
    GatewaySecurity security;
    StreamHandshake stream;
    HttpServerOptions options;
    HttpEdge edge;
    try {
      // First, before listening: with no verification key the gateway must not start (vert.x-auth-jwt would then
      // accept unsigned tokens).
      authenticator = JwtAuthenticator.shared(vertx, node.config());
      ApiServices services = ApiServices.shared(node);
      security = GatewaySecurity.shared(node);
      router = ApiRouter.create(vertx, node.config(), new ApiRouter.Parts(authenticator, security.limiter(),
          security.revocations(), security.readsWhenUnavailable(), services.ledger(), services.access(),
          services.idempotencyForInstance(vertx), security.tls(), security.allowedOrigins()));
      stream = streamHandshake(security, services);
      edge = new HttpEdge(vertx, HttpEdge.Settings.from(node.config()));
      options = edge.apply(serverOptions(security));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    // The edge answers what Vert.x refuses and bounds slow clients; stream handshakes are taken before the router.
    return security.started().compose(v -> edge.install(vertx.createHttpServer(options), router, stream::take)
        .listen()).onSuccess(s -> server = s);
  }

  private StreamHandshake streamHandshake(GatewaySecurity security, ApiServices services) {
    return new StreamHandshake(vertx, authenticator, security.revocations(), security.readsWhenUnavailable(),
        security.limiter(), services.access(), services.ledger(), StreamMetrics.shared(node),
        new StreamHandshake.Settings(security.allowedOrigins(), security.pingInterval(), security.maxQueued(),
            security.maxAccountsPerMessage(), security.maxAccounts()),
        Clock.systemUTC());
  }

  private HttpServerOptions serverOptions(GatewaySecurity security) {
    var gw = node.config().gateway();
    HttpServerOptions options = new HttpServerOptions().setPort(gw.port()).setHost(gw.host());
    if (security.tls()) {
      String cert = String.valueOf(node.config().value("gateway.tls.cert"));
      String key = String.valueOf(node.config().value("gateway.tls.key"));
      if (cert.isEmpty() || key.isEmpty()) {
        throw new IllegalStateException("gateway.tls.enabled needs gateway.tls.cert and gateway.tls.key (PEM files)");
      }
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert).setKeyPath(key));
    }
    return options;
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
