package dev.ledgerline.node;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.function.Supplier;

/** Serves {@code /health/live}, {@code /health/ready} and {@code /metrics} on every node, whatever its roles. */
public final class ManagementServer {
  private static final long CHECK_TIMEOUT_MS = 2000;

  private final Vertx vertx;
  private final HealthChecks ready;
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

  public Future<HttpServer> listen(String host, int port, PrometheusMeterRegistry registry) {
    Router router = Router.router(vertx);
    router.route().handler(new RequestIds("management"));
    router.get("/health/live").handler(rc -> rc.response().putHeader("content-type", "application/json")
        .end(new JsonObject().put("status", "UP").encode()));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(ready));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    return vertx.createHttpServer().requestHandler(router).listen(port, host).onSuccess(s -> server = s);
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
