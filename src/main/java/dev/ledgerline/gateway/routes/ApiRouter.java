package dev.ledgerline.gateway.routes;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.auth.BearerAuthHandler;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.auth.RequirePermission;
import dev.ledgerline.gateway.auth.UserCheck;
import dev.ledgerline.gateway.auth.TokenSources;
import dev.ledgerline.gateway.http.JsonBodies;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.RequestIds;
import dev.ledgerline.gateway.idempotency.IdempotencyStore;
import dev.ledgerline.gateway.idempotency.Idempotent;
import dev.ledgerline.gateway.idempotency.LedgerIdempotent;
import dev.ledgerline.gateway.idempotency.LedgerKeys;
import dev.ledgerline.gateway.ratelimit.RateLimitHandler;
import dev.ledgerline.gateway.ratelimit.RateLimiter;
import dev.ledgerline.gateway.revocation.RevocationCheck;
import dev.ledgerline.gateway.revocation.RevocationStore;
import dev.ledgerline.gateway.revocation.RevokeRoute;
import dev.ledgerline.gateway.stream.StreamHandshake;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.users.Permission;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.function.Function;

/**
 * The public API's routes, each with its whole chain on one line. Every request first gets a request id, the security
 * headers, CORS and an early verification of its token (a request without a valid token is charged to its client
 * address). Each route then runs, in order: content type check (POST), authentication, revocation check, the user
 * behind the token (its stored roles and permissions), rate limit, body (with the route's size limit), permission check, idempotency (POST), then the route's handler; failures
 * become problem+json.
 */
public final class ApiRouter {
  private ApiRouter() {}

  /**
   * What the routes need: node-scoped parts shared by every gateway instance, and the instance's own idempotency
   * store (its batches are collected and answered on the instance's event loop).
   */
  public record Parts(JwtAuthenticator authenticator, RateLimiter limiter, RevocationStore revocations,
      RevocationStore.ReadsWhenUnavailable readsWhenUnavailable, LedgerClient ledger, Access access,
      IdempotencyStore idempotency, boolean tls, Set<String> allowedOrigins, UserCheck users,
      UserRoutes userAdmin, LinkedAccountRoutes linkedAccounts, InstitutionRoutes institutions,
      EventAdminRoutes eventAdmin, PaymentRoutes payments, dev.ledgerline.cache.BalanceCache balances,
      ProviderWebhookRoutes webhooks, WebhookRoutes webhookEndpoints,
      dev.ledgerline.cache.TransactionCache transactions, SearchRoutes search, LedgerKeys ledgerKeys) {}

  /** The route metadata key under which each route's chain records its permission (for /openapi.json's test). */
  public static final String PERMISSION = "ledgerline.permission";

  public static Router create(Vertx vertx, LedgerlineConfig config, Parts parts) {
    Router router = Router.router(vertx);
    ProblemHandler.install(router);
    router.route().handler(new RequestIds("gateway"));
    router.route().handler(JsonBodies.holdBody());
    router.route().handler(new SecurityHeaders(parts.tls()));
    CorsHandler cors = SecurityHeaders.cors(parts.allowedOrigins());
    if (cors != null) {
      router.route().handler(cors);
    }
    // The per-address bucket of requests without a valid token: none, malformed, failing to verify, or revoked.
    RateLimitHandler anonymous = RateLimitHandler.create(parts.limiter(), RateLimitHandler.UNAUTHENTICATED,
        RateLimitHandler.clientIp());
    router.route().handler(verifyTokenOrLimitAddress(parts.authenticator(), anonymous));

    Handler<RoutingContext> auth = EdgeGuards.authentication(new BearerAuthHandler(parts.authenticator()));
    Function<String, Handler<RoutingContext>> limit = operation -> revocationThenLimit(parts, anonymous, operation);
    var standardBody = JsonBodies.standard(config);
    var batchBody = JsonBodies.batch(config);
    AccountRoutes accounts = new AccountRoutes(parts.ledger(), parts.access(), parts.balances());
    TransferRoutes transfers = new TransferRoutes(parts.ledger(), parts.access(),
        UInt128.of(config.gateway().transfersMaxAmount()), parts.balances(), parts.transactions());
    IdempotencyStore idem = parts.idempotency();

    // Any authenticated caller (no permission: a user may always end their own tokens); the body is a token to
    // revoke or nothing (the caller's own).
    router.route(HttpMethod.POST, RevokeRoute.PATH).handler(auth);
    router.route(HttpMethod.POST, RevokeRoute.PATH).handler(limit.apply(RevokeRoute.OPERATION));
    router.route(HttpMethod.POST, RevokeRoute.PATH).handler(standardBody);
    router.route(HttpMethod.POST, RevokeRoute.PATH).handler(new RevokeRoute(parts.authenticator(),
        parts.revocations())).putMetadata(PERMISSION, "authenticated");
    // A plain GET (no upgrade) of the stream reaches the router: say how to use it.
    router.get(StreamHandshake.PATH).handler(rc -> {
      rc.response().putHeader("Upgrade", "websocket");
      Problem.of(426, "open " + StreamHandshake.PATH + " as a WebSocket").withTitle("Upgrade Required").send(rc);
    });
    Buffer openapi = openApiDocument();
    // Public: kept by the edge under its surrogate key, purged when a node starts with another document.
    router.get("/openapi.json").handler(rc -> rc.response().putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", parts.institutions().cacheControl())
        .putHeader("Surrogate-Key", dev.ledgerline.cache.EdgePurger.OPENAPI).end(openapi));

    // Batch first: it is a longer literal path than the templated reads below.
    post(router, "/v1/transfers/batch", auth, limit.apply("transfers.batch"), batchBody,
        need(Permission.TRANSFERS_CREATE),
        new LedgerIdempotent(vertx, parts.ledgerKeys(), idem, TransferRoutes.BATCH, transfers.batchWrite()));
    post(router, "/v1/transfers", auth, limit.apply("transfers.create"), standardBody,
        need(Permission.TRANSFERS_CREATE),
        new LedgerIdempotent(vertx, parts.ledgerKeys(), idem, TransferRoutes.CREATE, transfers.createWrite()));
    get(router, "/v1/transfers/:id", auth, limit.apply("transfers.read"), need(Permission.TRANSFERS_READ),
        transfers.get());
    post(router, "/v1/accounts", auth, limit.apply("accounts.create"), standardBody,
        need(Permission.ACCOUNTS_CREATE), new Idempotent(idem, AccountRoutes.CREATE, false, accounts::create));
    get(router, "/v1/accounts", auth, limit.apply("accounts.query"), need(Permission.OPERATOR_READ),
        accounts.query());
    get(router, "/v1/accounts/:id", auth, limit.apply("accounts.read"), need(Permission.ACCOUNTS_READ),
        accounts.get());
    get(router, "/v1/accounts/:id/transfers", auth, limit.apply("accounts.read"), need(Permission.ACCOUNTS_READ),
        accounts.history(false));
    get(router, "/v1/accounts/:id/balances", auth, limit.apply("accounts.read"), need(Permission.ACCOUNTS_READ),
        accounts.history(true));

    PaymentRoutes payments = parts.payments();
    post(router, PaymentRoutes.PATH, auth, limit.apply("payments.create"), standardBody,
        need(Permission.PAYMENTS_CREATE),
        payments.admitted(new Idempotent(idem, PaymentRoutes.CREATE, true, payments::create)));
    get(router, PaymentRoutes.PATH, auth, limit.apply("payments.read"), need(Permission.PAYMENTS_READ),
        payments.list());
    get(router, PaymentRoutes.PATH + "/:id", auth, limit.apply("payments.read"), need(Permission.PAYMENTS_READ),
        payments.get());
    // Owner-scoped in the query itself (the caller's accounts, or all for operators and admins).
    get(router, SearchRoutes.PATH, auth, limit.apply("transactions.search"), need(Permission.TRANSACTIONS_SEARCH),
        parts.search().search());
    get(router, PaymentRoutes.PATH + "/:id/events", auth, limit.apply("payments.read"),
        need(Permission.PAYMENTS_READ), payments.events());
    postWithoutBody(router, PaymentRoutes.PATH + "/:id/cancel", auth, limit.apply("payments.cancel"), standardBody,
        need(Permission.PAYMENTS_CREATE), payments.cancel());
    post(router, PaymentRoutes.PATH + "/:id/resolve", auth, limit.apply("payments.resolve"), standardBody,
        need(Permission.OPERATOR_RESOLVE), payments.resolve());

    UserRoutes users = parts.userAdmin();
    RequirePermission admin = need(Permission.ADMIN_USERS);
    post(router, UserRoutes.PATH, auth, limit.apply("admin.users"), standardBody, admin, users.create());
    get(router, UserRoutes.PATH, auth, limit.apply("admin.users"), admin, users.list());
    get(router, UserRoutes.PATH + "/:id", auth, limit.apply("admin.users"), admin, users.get());
    get(router, UserRoutes.PATH + "/:id/events", auth, limit.apply("admin.users"), admin, users.events());
    patch(router, UserRoutes.PATH + "/:id", auth, limit.apply("admin.users"), standardBody, admin, users.patch());

    LinkedAccountRoutes linked = parts.linkedAccounts();
    RequirePermission manageLinks = need(Permission.LINKED_ACCOUNTS_MANAGE);
    post(router, LinkedAccountRoutes.PATH, auth, limit.apply("linked_accounts.create"), standardBody, manageLinks,
        new Idempotent(idem, LinkedAccountRoutes.CREATE, false, linked::create));
    get(router, LinkedAccountRoutes.PATH, auth, limit.apply("linked_accounts.read"), manageLinks, linked.list());
    get(router, LinkedAccountRoutes.PATH + "/:id/balances", auth, limit.apply("linked_accounts.read"), manageLinks,
        linked.balances());
    delete(router, LinkedAccountRoutes.PATH + "/:id", auth, limit.apply("linked_accounts.delete"), manageLinks,
        linked.delete());
    // Public catalog data: no token needed. Without one the request was charged to its address above; either way
    // it is charged to the route's own bucket too (by subject when a valid token came along).
    router.route(HttpMethod.GET, InstitutionRoutes.PATH).handler(RateLimitHandler.create(parts.limiter(),
            "institutions.read", RateLimitHandler.subjectOrIp(rc -> {
              Principal p = Principal.of(rc);
              return p == null ? null : p.subject();
            })))
        .handler(parts.institutions().list()).putMetadata(PERMISSION, "public");

    // The provider's webhooks: no token, the signature is the authentication (checked by the handler, before the
    // body is read as anything). Own bucket per address and a small body cap.
    router.route(HttpMethod.POST, ProviderWebhookRoutes.PATH).handler(RateLimitHandler.create(parts.limiter(),
        "provider_webhooks", RateLimitHandler.clientIp()));
    router.route(HttpMethod.POST, ProviderWebhookRoutes.PATH).handler(JsonBodies.handler(ProviderWebhookRoutes
        .BODY_LIMIT));
    router.route(HttpMethod.POST, ProviderWebhookRoutes.PATH).handler(parts.webhooks().plaid())
        .putMetadata(PERMISSION, "public");

    WebhookRoutes hooks = parts.webhookEndpoints();
    RequirePermission manageHooks = need(Permission.WEBHOOKS_MANAGE);
    post(router, WebhookRoutes.PATH, auth, limit.apply("webhooks.create"), standardBody, manageHooks,
        new Idempotent(idem, WebhookRoutes.CREATE, false, hooks::create));
    get(router, WebhookRoutes.PATH, auth, limit.apply("webhooks.read"), manageHooks, hooks.list());
    get(router, WebhookRoutes.PATH + "/:id", auth, limit.apply("webhooks.read"), manageHooks, hooks.get());
    delete(router, WebhookRoutes.PATH + "/:id", auth, limit.apply("webhooks.delete"), manageHooks, hooks.delete());
    postWithoutBody(router, WebhookRoutes.PATH + "/:id/rotate-secret", auth, limit.apply("webhooks.rotate"),
        standardBody, manageHooks, hooks.rotate());
    get(router, WebhookRoutes.PATH + "/:id/deliveries", auth, limit.apply("webhooks.read"), manageHooks,
        hooks.deliveries());
    postWithoutBody(router, WebhookRoutes.PATH + "/:id/deliveries/:delivery_id/retry", auth,
        limit.apply("webhooks.retry"), standardBody, manageHooks, hooks.retry());

    EventAdminRoutes events = parts.eventAdmin();
    get(router, EventAdminRoutes.PATH, auth, limit.apply("admin.events"), need(Permission.OPERATOR_READ),
        events.list());
    postWithoutBody(router, EventAdminRoutes.PATH + "/:id/retry", auth, limit.apply("admin.events"), standardBody,
        need(Permission.OPERATOR_RESOLVE), events.retry());
    return router;
  }

  // Each step is its own route on the same method and path: vert.x-web refuses a body handler after a plain handler
  // on one route, and authentication must run before the body is buffered.
  private static void post(Router router, String path, Handler<RoutingContext> auth, Handler<RoutingContext> limit,
      Handler<RoutingContext> body, RequirePermission permission, Handler<RoutingContext> handler) {
    withBody(router, HttpMethod.POST, path, auth, limit, body, permission, handler);
  }

  private static void patch(Router router, String path, Handler<RoutingContext> auth, Handler<RoutingContext> limit,
      Handler<RoutingContext> body, RequirePermission permission, Handler<RoutingContext> handler) {
    withBody(router, HttpMethod.PATCH, path, auth, limit, body, permission, handler);
  }

  private static void withBody(Router router, HttpMethod method, String path, Handler<RoutingContext> auth,
      Handler<RoutingContext> limit, Handler<RoutingContext> body, RequirePermission permission,
      Handler<RoutingContext> handler) {
    router.route(method, path).handler(JsonBodies.requireJson());
    router.route(method, path).handler(auth).handler(EdgeGuards.subject());
    router.route(method, path).handler(limit);
    router.route(method, path).handler(body);
    router.route(method, path).handler(EdgeGuards.nonEmptyBody());
    router.route(method, path).handler(permission).handler(handler)
        .putMetadata(PERMISSION, permission.permission().wireName());
  }

  /** A POST whose request is its path: no content type is required, and the handler refuses a body. */
  private static void postWithoutBody(Router router, String path, Handler<RoutingContext> auth,
      Handler<RoutingContext> limit, Handler<RoutingContext> body, RequirePermission permission,
      Handler<RoutingContext> handler) {
    router.route(HttpMethod.POST, path).handler(auth).handler(EdgeGuards.subject());
    router.route(HttpMethod.POST, path).handler(limit);
    router.route(HttpMethod.POST, path).handler(body);
    router.route(HttpMethod.POST, path).handler(permission).handler(JsonBodies.none()).handler(handler)
        .putMetadata(PERMISSION, permission.permission().wireName());
  }

  private static void get(Router router, String path, Handler<RoutingContext> auth, Handler<RoutingContext> limit,
      RequirePermission permission, Handler<RoutingContext> handler) {
    router.route(HttpMethod.GET, path).handler(auth).handler(EdgeGuards.subject()).handler(limit)
        .handler(permission).handler(handler).putMetadata(PERMISSION, permission.permission().wireName());
  }

  private static void delete(Router router, String path, Handler<RoutingContext> auth, Handler<RoutingContext> limit,
      RequirePermission permission, Handler<RoutingContext> handler) {
    router.route(HttpMethod.DELETE, path).handler(auth).handler(EdgeGuards.subject()).handler(limit)
        .handler(permission).handler(JsonBodies.none()).handler(handler)
        .putMetadata(PERMISSION, permission.permission().wireName());
  }

  private static RequirePermission need(Permission permission) {
    return RequirePermission.of(permission);
  }

  /**
   * Verifies a presented token once, before any route (the route's authentication then finds the principal): a token
   * that does not verify is no token, so its request is charged to the client address like one without any.
   */
  private static Handler<RoutingContext> verifyTokenOrLimitAddress(JwtAuthenticator authenticator,
      RateLimitHandler anonymous) {
    return rc -> {
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
      authenticator.authenticate(token.token()).onComplete(ar -> {
        if (ar.succeeded()) {
          rc.put(Principal.KEY, ar.result());
          rc.next();
        } else {
          rc.put(BearerAuthHandler.REJECTED, ar.cause());
          anonymous.handle(rc);
        }
      });
    };
  }

  /** Revocation check (writes fail closed), the user behind the token, then the subject's bucket for the operation. */
  private static Handler<RoutingContext> revocationThenLimit(Parts parts, RateLimitHandler anonymous,
      String operation) {
    RateLimitHandler rate = RateLimitHandler.create(parts.limiter(), operation,
        RateLimitHandler.subjectOrIp(rc -> {
          Principal p = Principal.of(rc);
          return p == null ? null : p.subject();
        }));
    // The user is loaded before the limit is charged: a suspended user's requests stop here.
    Handler<RoutingContext> userThenRate = parts.users().then(rate, anonymous);
    RevocationCheck reads = new RevocationCheck(parts.revocations(), parts.readsWhenUnavailable(), false,
        userThenRate, anonymous);
    RevocationCheck writes = new RevocationCheck(parts.revocations(), parts.readsWhenUnavailable(), true,
        userThenRate, anonymous);
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
