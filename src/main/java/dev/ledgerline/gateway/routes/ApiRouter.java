package dev.ledgerline.gateway.routes;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.ApiServices;
import dev.ledgerline.gateway.auth.BearerAuthHandler;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.auth.RequireRole;
import dev.ledgerline.gateway.auth.Role;
import dev.ledgerline.gateway.http.JsonBodies;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.idempotency.Idempotent;
import dev.ledgerline.node.RequestIds;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The public API's routes in one place. Each route runs, in order: request id, content type check (POST),
 * authentication, the {@link RouteHooks#limit} hook, body (with the route's size limit), role check, then the
 * route's handler; failures become problem+json.
 */
public final class ApiRouter {
  private ApiRouter() {}

  public static Router create(Vertx vertx, LedgerlineConfig config, JwtAuthenticator authenticator,
      ApiServices services, RouteHooks hooks) {
    Router router = Router.router(vertx);
    ProblemHandler.install(router);
    router.route().handler(new RequestIds("gateway"));
    router.route().handler(JsonBodies.holdBody());
    hooks.beforeRoutes(router);
    hooks.extraRoutes(router);

    Buffer openapi = openApiDocument();
    router.get("/openapi.json").handler(rc -> rc.response().putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "public, max-age=300").end(openapi));

    Handler<RoutingContext> auth = EdgeGuards.authentication(new BearerAuthHandler(authenticator));
    RequireRole anyone = RequireRole.anyOf(Role.USER, Role.OPERATOR, Role.ADMIN);
    RequireRole operators = RequireRole.anyOf(Role.OPERATOR, Role.ADMIN);
    var standardBody = JsonBodies.standard(config);
    var batchBody = JsonBodies.batch(config);
    AccountRoutes accounts = new AccountRoutes(services.ledger(), services.access());
    TransferRoutes transfers = new TransferRoutes(services.ledger(), services.access(),
        dev.ledgerline.ledger.model.UInt128.of(config.gateway().transfersMaxAmount()));
    var idem = services.idempotencyForInstance(vertx);

    // Batch first: it is a longer literal path than the templated reads below.
    post(router, "/v1/transfers/batch", auth, hooks.limit("transfers.batch"), batchBody, anyone,
        new Idempotent(idem, TransferRoutes.BATCH, true, transfers::batch));
    post(router, "/v1/transfers", auth, hooks.limit("transfers.create"), standardBody, anyone,
        new Idempotent(idem, TransferRoutes.CREATE, true, transfers::create));
    get(router, "/v1/transfers/:id", auth, hooks.limit("transfers.read"), anyone, transfers.get());
    post(router, "/v1/accounts", auth, hooks.limit("accounts.create"), standardBody, anyone,
        new Idempotent(idem, AccountRoutes.CREATE, false, accounts::create));
    get(router, "/v1/accounts", auth, hooks.limit("accounts.query"), operators, accounts.query());
    get(router, "/v1/accounts/:id", auth, hooks.limit("accounts.read"), anyone, accounts.get());
    get(router, "/v1/accounts/:id/transfers", auth, hooks.limit("accounts.read"), anyone, accounts.history(false));
    get(router, "/v1/accounts/:id/balances", auth, hooks.limit("accounts.read"), anyone, accounts.history(true));
    return router;
  }

  // Each step is its own route on the same method and path: vert.x-web refuses a body handler after a plain handler
  // on one route, and authentication must run before the body is buffered.
  private static void post(Router router, String path, Handler<RoutingContext> auth, Handler<RoutingContext> limit,
      Handler<RoutingContext> body, Handler<RoutingContext> role, Handler<RoutingContext> handler) {
    router.route(HttpMethod.POST, path).handler(JsonBodies.requireJson());
    router.route(HttpMethod.POST, path).handler(auth).handler(EdgeGuards.subject());
    if (limit != null) {
      router.route(HttpMethod.POST, path).handler(limit);
    }
    router.route(HttpMethod.POST, path).handler(body);
    router.route(HttpMethod.POST, path).handler(EdgeGuards.nonEmptyBody());
    router.route(HttpMethod.POST, path).handler(role).handler(handler);
  }

  private static void get(Router router, String path, Handler<RoutingContext> auth, Handler<RoutingContext> limit,
      Handler<RoutingContext> role, Handler<RoutingContext> handler) {
    Route r = router.route(HttpMethod.GET, path).handler(auth).handler(EdgeGuards.subject());
    if (limit != null) {
      r.handler(limit);
    }
    r.handler(role).handler(handler);
  }

  /** The OpenAPI document shipped with the code, so the description and the routes change together. */
  public static Buffer openApiDocument() {
    try (InputStream in = ApiRouter.class.getResourceAsStream("/openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the classpath");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
