package dev.ledgerline.node;

import dev.ledgerline.gateway.http.RequestIds;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.function.Supplier;

/**
 * Serves {@code /health/live}, {@code /health/ready} and {@code /metrics} on every node, whatever its roles, and the
 * operator console mounted on it ({@code observability/ConsoleRoutes}).
 */
public final class ManagementServer {
  private static final long CHECK_TIMEOUT_MS = 2000;

  private final Vertx vertx;
  private final HealthChecks ready;
  private final java.util.List<java.util.function.Consumer<Router>> mounted = new java.util.ArrayList<>();
  private HttpServer server;

  public ManagementServer(Vertx vertx) {
    this.vertx = vertx;
    this.ready = HealthChecks.create(vertx);
  }

  /** Adds a readiness check; a failed future is DOWN, its message the reason; the JSON is shown as data. */
  public ManagementServer check(String name, Supplier<Future<JsonObject>> probe) {
    ready.register(name, CHECK_TIMEOUT_MS, promise -> probe.get().onComplete(ar -> {
      if (ar.succeeded()) {
        promise.complete(Status.OK(ar.result()));
      } else {
        promise.complete(Status.KO(new JsonObject().put("reason", String.valueOf(ar.cause().getMessage()))));
      }
    }));
    return this;
  }

  /** Adds routes of another room (the operator console) to the router, before {@link #listen}. */
  public ManagementServer mount(java.util.function.Consumer<Router> routes) {
    mounted.add(routes);
    return this;
  }

  /**
   * Serves the endpoints. With a token required, {@code /metrics} answers 401 without it, and {@code /health/ready}
   * answers only its status ({@code {"status":"UP"}} with 200, or DOWN with 503) so a container health check needs
   * no secret; the checks' detail (modes, member counts, errors) needs the token. {@code /health/live} stays open.
   * A taken port fails with {@link NodeRefusedException} naming {@code management.port}.
   */
  public Future<HttpServer> listen(String host, int port, PrometheusMeterRegistry registry, ManagementAuth auth) {
    Router router = Router.router(vertx);
    router.route().handler(new RequestIds("management"));
    router.get("/health/live").handler(rc -> rc.response().putHeader("content-type", "application/json")
        .end(new JsonObject().put("status", "UP").encode()));
    router.get("/health/ready").handler(rc -> {
      switch (auth.check(rc.request().getHeader(HttpHeaders.AUTHORIZATION))) {
        case NONE_REQUIRED:
        case VALID:
          rc.next();
          break;
        case MISSING:
          statusOnly(rc);
          break;
        default:
          unauthorized(rc);
      }
    }).handler(HealthCheckHandler.createWithHealthChecks(ready));
    router.get("/metrics").handler(rc -> {
      var verdict = auth.check(rc.request().getHeader(HttpHeaders.AUTHORIZATION));
      if (verdict == ManagementAuth.Verdict.NONE_REQUIRED || verdict == ManagementAuth.Verdict.VALID) {
        rc.next();
      } else {
        unauthorized(rc);
      }
    }).handler(PrometheusScrapingHandler.create(registry));
    mounted.forEach(m -> m.accept(router));
    return vertx.createHttpServer().requestHandler(router).listen(port, host)
        .recover(err -> Future.failedFuture(ListenerAddress.inUse(err)
            ? ListenerAddress.refused("management.port", host, port, err) : err))
        .onSuccess(s -> server = s);
  }

  private void statusOnly(RoutingContext rc) {
    ready.checkStatus().onComplete(ar -> {
      boolean up = ar.succeeded() && ar.result().getUp();
      rc.response().setStatusCode(up ? 200 : 503).putHeader("content-type", "application/json")
          .end(new JsonObject().put("status", up ? "UP" : "DOWN").encode());
    });
  }

  private static void unauthorized(RoutingContext rc) {
    rc.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"management\"")
        .putHeader("content-type", "application/json").end(new JsonObject().put("status", 401)
            .put("title", "a valid management bearer token is required").encode());
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
