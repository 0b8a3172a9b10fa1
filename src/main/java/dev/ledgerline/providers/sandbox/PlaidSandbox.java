package dev.ledgerline.providers.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Plaid-compatible sandbox: Plaid's request and response shapes and error objects for the endpoints Ledgerline
 * uses, an in-memory bank behind them, transfers that settle after {@code settle-after} and announce it with a signed
 * {@code TRANSFER_EVENTS_UPDATE} webhook, and fault injection for tests and drills:
 * <ul>
 *   <li>{@code POST /sandbox/faults} {@code {"endpoint","mode":"outage|error|latency|decline","rate","latency_ms",
 *       "error_code"}} installs a fault on one endpoint (replacing its previous one);</li>
 *   <li>{@code DELETE /sandbox/faults} removes them all; {@code GET /sandbox/faults} lists them;</li>
 *   <li>{@code GET /sandbox/stats} answers {@code {"calls":{endpoint: count}}}.</li>
 * </ul>
 * Every Plaid endpoint checks {@code client_id} and {@code secret} (in the body, or Plaid's {@code PLAID-CLIENT-ID}
 * and {@code PLAID-SECRET} headers). Any malformed request gets Plaid's error object with a 4xx status; only an
 * injected error fault answers 5xx.
 */
public final class PlaidSandbox {
  private static final Logger LOG = LoggerFactory.getLogger(PlaidSandbox.class);
  private static final long BODY_LIMIT = 1024 * 1024;

  private final Vertx vertx;
  private final SandboxSettings settings;
  private final SandboxBank bank = new SandboxBank();
  private final WebhookSigner signer = new WebhookSigner();
  private final SandboxFaults faults;
  private final Map<String, BiFunction<JsonObject, String, JsonObject>> endpoints;
  private WebClient webhooks;
  private HttpServer server;

  private PlaidSandbox(Vertx vertx, SandboxSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
    // endpoint -> (body, injected decline code or null) -> response body without request_id
    this.endpoints = Map.ofEntries(
        Map.entry("/link/token/create", (b, d) -> bank.linkTokenCreate(b)),
        Map.entry("/sandbox/public_token/create", (b, d) -> bank.sandboxPublicTokenCreate(b)),
        Map.entry("/item/public_token/exchange", (b, d) -> bank.publicTokenExchange(b)),
        Map.entry("/accounts/get", (b, d) -> declinable(d).accountsGet(b)),
        Map.entry("/accounts/balance/get", (b, d) -> declinable(d).accountsGet(b)),
        Map.entry("/transfer/authorization/create", bank::transferAuthorizationCreate),
        Map.entry("/transfer/authorization/cancel", (b, d) -> declinable(d).transferAuthorizationCancel(b)),
        Map.entry("/transfer/create", (b, d) -> bank.transferCreate(b, d, this::scheduleSettlement)),
        Map.entry("/transfer/cancel", (b, d) -> declinable(d).transferCancel(b)),
        Map.entry("/transfer/get", (b, d) -> bank.transferGet(b)),
        Map.entry("/transfer/refund/create", (b, d) -> declinable(d).transferRefundCreate(b, this::scheduleRefund)),
        Map.entry("/transfer/refund/get", (b, d) -> bank.transferRefundGet(b)),
        Map.entry("/transfer/event/sync", (b, d) -> bank.transferEventSync(b)),
        Map.entry("/institutions/get", (b, d) -> bank.institutionsGet(b)),
        Map.entry("/webhook_verification_key/get", (b, d) -> verificationKey(b)));
    this.faults = new SandboxFaults(endpoints.keySet());
  }

  /** Starts a sandbox; a taken port fails the future. */
  public static Future<PlaidSandbox> start(Vertx vertx, SandboxSettings settings) {
    PlaidSandbox s = new PlaidSandbox(vertx, settings);
    return s.listen().map(s);
  }

  /** The port it listens on (the real one when started with port 0). */
  public int port() {
    return server.actualPort();
  }

  /** The base URL a Plaid client uses, e.g. {@code http://127.0.0.1:7070}. */
  public String baseUrl() {
    String host = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
    return "http://" + ("0.0.0.0".equals(host) ? "127.0.0.1" : host) + ":" + port();
  }

  public Future<Void> close() {
    if (webhooks != null) {
      webhooks.close();
    }
    return server == null ? Future.succeededFuture() : server.close();
  }

  private Future<HttpServer> listen() {
    webhooks = WebClient.create(vertx);
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
    router.post("/sandbox/faults").handler(rc -> admin(rc, () -> new JsonObject()
        .put("fault", faults.install(object(rc.body().buffer())).toJson()).put("faults", faults.list())));
    router.delete("/sandbox/faults").handler(rc -> admin(rc, () -> {
      faults.clear();
      return new JsonObject().put("faults", faults.list());
    }));
    router.get("/sandbox/faults").handler(rc -> admin(rc, () -> new JsonObject().put("faults", faults.list())));
    router.get("/sandbox/stats").handler(rc -> admin(rc, faults::stats));
    for (String path : endpoints.keySet()) {
      router.post(path).handler(rc -> plaidCall(rc, path));
    }
    router.route().handler(rc -> error(rc, new SandboxError(404, "INVALID_REQUEST", "NOT_FOUND",
        "no such endpoint: " + rc.request().method() + " " + rc.normalizedPath())));
    router.route().failureHandler(rc -> {
      int status = rc.statusCode();
      error(rc, status == 413 ? new SandboxError(413, "INVALID_REQUEST", "INVALID_BODY",
              "the request body is larger than " + BODY_LIMIT + " bytes")
          : status >= 400 && status < 500 ? SandboxError.invalidRequest("INVALID_BODY", "the request is malformed")
          : new SandboxError(500, "API_ERROR", "INTERNAL_SERVER_ERROR", "an unexpected error occurred"));
    });
    return vertx.createHttpServer().requestHandler(router).listen(settings.port(), settings.host())
        .onSuccess(s -> {
          server = s;
          LOG.info("Plaid-compatible sandbox listening on {}", baseUrl());
        });
  }

  /** A Plaid endpoint: count, apply an injected fault, check credentials, answer. */
  private void plaidCall(RoutingContext rc, String path) {
    SandboxFaults.Fault fault = faults.onCall(path);
    if (fault == null || fault.latencyMs() == 0) {
      answer(rc, path, fault);
    } else {
      vertx.setTimer(fault.latencyMs(), t -> answer(rc, path, fault));
    }
  }

  private void answer(RoutingContext rc, String path, SandboxFaults.Fault fault) {
    if (fault != null && fault.mode() == SandboxFaults.Mode.OUTAGE) {
      // The provider is gone: the connection drops without an answer.
      rc.request().connection().close();
      return;
    }
    if (fault != null && fault.mode() == SandboxFaults.Mode.ERROR) {
      error(rc, SandboxError.injected(fault.errorCode()));
      return;
    }
    String decline = fault != null && fault.mode() == SandboxFaults.Mode.DECLINE
        ? ("INTERNAL_SERVER_ERROR".equals(fault.errorCode()) ? defaultDecline(path) : fault.errorCode()) : null;
    try {
      JsonObject body = object(rc.body().buffer());
      authenticate(rc, body);
      JsonObject out = endpoints.get(path).apply(body, decline);
      ok(rc, out);
    } catch (SandboxError e) {
      error(rc, e);
    } catch (ClassCastException | IllegalArgumentException e) {
      error(rc, SandboxError.invalidRequest("INVALID_FIELD", "a field has the wrong type or value"));
    }
  }

  private static String defaultDecline(String path) {
    return switch (path) {
      case "/transfer/authorization/create" -> "NSF";
      case "/transfer/create" -> "TRANSFER_ACCOUNT_BLOCKED";
      case "/transfer/cancel" -> "TRANSFER_NOT_CANCELLABLE";
      case "/transfer/authorization/cancel" -> "TRANSFER_AUTHORIZATION_NOT_CANCELLABLE";
      case "/transfer/refund/create" -> "TRANSFER_NOT_REFUNDABLE";
      default -> "ITEM_LOGIN_REQUIRED";
    };
  }

  /** An injected decline on an endpoint without a decision of its own: the bank refuses, as Plaid would. */
  private SandboxBank declinable(String declineCode) {
    if (declineCode != null) {
      throw declineCode.startsWith("TRANSFER_") ? new SandboxError(400, "TRANSFER_ERROR", declineCode,
          "the request was declined (injected fault)")
          : new SandboxError(400, "ITEM_ERROR", declineCode, "the request was declined (injected fault)");
    }
    return bank;
  }

  private void authenticate(RoutingContext rc, JsonObject body) {
    Object id = body.containsKey("client_id") ? body.getValue("client_id") : rc.request().getHeader("PLAID-CLIENT-ID");
    Object secret = body.containsKey("secret") ? body.getValue("secret") : rc.request().getHeader("PLAID-SECRET");
    if (id == null || secret == null) {
      throw SandboxError.missing(id == null ? "client_id" : "secret");
    }
    if (!(id instanceof String) || !(secret instanceof String)) {
      throw SandboxError.invalidField(!(id instanceof String) ? "client_id" : "secret", "must be a string");
    }
    boolean idOk = MessageDigest.isEqual(((String) id).getBytes(StandardCharsets.UTF_8),
        settings.clientId().getBytes(StandardCharsets.UTF_8));
    boolean secretOk = MessageDigest.isEqual(((String) secret).getBytes(StandardCharsets.UTF_8),
        settings.secret().getBytes(StandardCharsets.UTF_8));
    if (!idOk || !secretOk) {
      throw SandboxError.invalidInput("INVALID_API_KEYS", "invalid client_id or secret provided");
    }
  }

  private JsonObject verificationKey(JsonObject b) {
    String keyId = SandboxBank.requiredString(b, "key_id");
    if (!keyId.equals(signer.kid())) {
      throw SandboxError.invalidInput("INVALID_WEBHOOK_VERIFICATION_KEY_ID", "invalid key_id provided");
    }
    return new JsonObject().put("key", signer.jwk());
  }

  private void scheduleRefund(String refundId) {
    vertx.setTimer(Math.max(1, settings.settleAfter().toMillis()), t -> {
      if (bank.settleRefund(refundId)) {
        sendWebhook();
      }
    });
  }

  private void scheduleSettlement(String transferId) {
    vertx.setTimer(Math.max(1, settings.settleAfter().toMillis()), t -> {
      if (bank.settle(transferId)) {
        sendWebhook();
      }
    });
  }

  /**
   * The {@code Plaid-Verification} value this sandbox would send with {@code body}, signed now with its current key:
   * lets a receiver's tests deliver any body, well-formed or not, exactly as the provider would sign it.
   */
  public String signWebhook(byte[] body) {
    return signer.sign(body);
  }

  /** Plaid's transfer webhook says only that events exist; the receiver reads them with /transfer/event/sync. */
  private void sendWebhook() {
    if (settings.webhookUrl().isEmpty()) {
      return;
    }
    byte[] body = new JsonObject().put("webhook_type", "TRANSFER").put("webhook_code", "TRANSFER_EVENTS_UPDATE")
        .put("environment", "sandbox").encodePrettily().getBytes(StandardCharsets.UTF_8);
    webhooks.postAbs(settings.webhookUrl()).putHeader("Content-Type", "application/json")
        .putHeader("Plaid-Verification", signer.sign(body)).timeout(10_000).sendBuffer(Buffer.buffer(body))
        .onComplete(ar -> {
          if (ar.failed() || ar.result().statusCode() >= 300) {
            LOG.warn("sandbox webhook to {} not accepted: {}", settings.webhookUrl(),
                ar.failed() ? ar.cause().toString() : "HTTP " + ar.result().statusCode());
          }
        });
  }

  /** The admin API answers its own shapes exactly (no {@code request_id}); its errors are Plaid-style too. */
  private void admin(RoutingContext rc, java.util.function.Supplier<JsonObject> action) {
    try {
      rc.response().putHeader("Content-Type", "application/json").end(action.get().toBuffer());
    } catch (SandboxError e) {
      error(rc, e);
    }
  }

  private static JsonObject object(Buffer body) {
    if (body == null || body.length() == 0) {
      throw SandboxError.invalidRequest("INVALID_BODY", "the request body is empty; a JSON object is required");
    }
    Object v;
    try {
      v = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw SandboxError.invalidRequest("INVALID_BODY", "body could not be parsed as JSON");
    }
    if (!(v instanceof JsonObject o)) {
      throw SandboxError.invalidRequest("INVALID_BODY", "the request body must be a JSON object");
    }
    return o;
  }

  private static void ok(RoutingContext rc, JsonObject body) {
    body.put("request_id", SandboxBank.requestId());
    rc.response().putHeader("Content-Type", "application/json").end(body.toBuffer());
  }

  private static void error(RoutingContext rc, SandboxError e) {
    if (rc.response().ended()) {
      return;
    }
    rc.response().setStatusCode(e.status).putHeader("Content-Type", "application/json")
        .end(e.body(SandboxBank.requestId()).toBuffer());
  }
}
