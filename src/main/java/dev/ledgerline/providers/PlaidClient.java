package dev.ledgerline.providers;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@link PaymentProvider} over Plaid's HTTP API (or the sandbox in {@code providers.sandbox}, which speaks the same).
 *
 * <p>Built on Vert.x WebClient rather than {@code com.plaid:plaid-java}: the official client is OkHttp/Retrofit with
 * blocking calls (or its own thread pool), so every call would have to leave the event loop; WebClient is the
 * node's own non-blocking HTTP client, runs on the caller's context and adds no dependency. Plaid's API is plain JSON
 * over POST, so the request and response shapes below are Plaid's field names as documented.
 *
 * <p>Credentials travel in each request's body ({@code client_id}, {@code secret}), as Plaid documents; nothing here
 * logs a request, a response body, a token or the secret.
 */
public final class PlaidClient implements PaymentProvider {
  public static final String NAME = "plaid";
  /** Plaid's error codes that mean "this token is no good; link again" rather than "this request is wrong". */
  private static final Set<String> TOKEN_ERRORS = Set.of("INVALID_ACCESS_TOKEN", "INVALID_PUBLIC_TOKEN",
      "ITEM_NOT_FOUND", "ITEM_LOGIN_REQUIRED");
  private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

  private final WebClient web;
  private final String baseUrl;
  private final String clientId;
  private final String secret;
  private final long timeoutMs;

  /**
   * @param baseUrl Plaid's API root without a trailing slash ({@code https://production.plaid.com}, or the sandbox's)
   * @param timeout the HTTP deadline of one call (the breaker has its own; this one frees the connection)
   */
  public PlaidClient(WebClient web, String baseUrl, String clientId, String secret, Duration timeout) {
    this.web = web;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.clientId = clientId;
    this.secret = secret;
    this.timeoutMs = Math.max(1, timeout.toMillis());
  }

  @Override
  public String name() {
    return NAME;
  }

  public String baseUrl() {
    return baseUrl;
  }

  @Override
  public Future<LinkedItem> exchangePublicToken(String publicToken) {
    return post("/item/public_token/exchange", new JsonObject().put("public_token", publicToken))
        .map(r -> new LinkedItem(r.getString("access_token"), r.getString("item_id")));
  }

  @Override
  public Future<Accounts> accounts(String accessToken) {
    return post("/accounts/get", new JsonObject().put("access_token", accessToken)).map(PlaidClient::accountsOf);
  }

  @Override
  public Future<Accounts> balances(String accessToken) {
    return post("/accounts/balance/get", new JsonObject().put("access_token", accessToken))
        .map(PlaidClient::accountsOf);
  }

  @Override
  public Future<TransferAuthorization> authorizeTransfer(TransferRequest t) {
    JsonObject body = new JsonObject().put("access_token", t.accessToken()).put("account_id", t.accountId())
        .put("type", t.type()).put("network", t.network()).put("amount", amount(t.amount()))
        .put("ach_class", t.achClass()).put("user", new JsonObject().put("legal_name", t.legalName()))
        .put("idempotency_key", t.idempotencyKey());
    return post("/transfer/authorization/create", body).map(r -> {
      JsonObject a = r.getJsonObject("authorization");
      JsonObject why = a.getJsonObject("decision_rationale");
      return new TransferAuthorization(a.getString("id"), a.getString("decision"),
          why == null ? null : why.getString("code"), why == null ? null : why.getString("description"),
          instant(a.getString("created")));
    });
  }

  @Override
  public Future<Transfer> createTransfer(String accessToken, String accountId, String authorizationId,
      String description, String idempotencyKey) {
    // Plaid makes one transfer per authorization; idempotency_key is sent as well so that a retry of the same
    // payment is recognised even by an API version that keys on it.
    JsonObject body = new JsonObject().put("access_token", accessToken).put("account_id", accountId)
        .put("authorization_id", authorizationId).put("description", description)
        .put("idempotency_key", idempotencyKey);
    return post("/transfer/create", body).map(r -> transferOf(r.getJsonObject("transfer")));
  }

  @Override
  public Future<Void> cancelTransfer(String transferId) {
    return post("/transfer/cancel", new JsonObject().put("transfer_id", transferId)).mapEmpty();
  }

  @Override
  public Future<Refund> refundTransfer(String transferId, BigDecimal amount, String idempotencyKey) {
    return post("/transfer/refund/create", new JsonObject().put("transfer_id", transferId)
        .put("amount", amount(amount))
        .put("idempotency_key", idempotencyKey)).map(r -> {
          JsonObject f = r.getJsonObject("refund");
          return new Refund(f.getString("id"), f.getString("transfer_id"), decimal(f.getValue("amount")),
              f.getString("status"), f.getString("failure_reason"));
        });
  }

  @Override
  public Future<Void> cancelAuthorization(String authorizationId) {
    return post("/transfer/authorization/cancel", new JsonObject().put("authorization_id", authorizationId))
        .mapEmpty();
  }

  @Override
  public Future<Transfer> transfer(String transferId) {
    return post("/transfer/get", new JsonObject().put("transfer_id", transferId))
        .map(r -> transferOf(r.getJsonObject("transfer")));
  }

  @Override
  public Future<TransferEvents> transferEvents(long afterId, int count) {
    return post("/transfer/event/sync", new JsonObject().put("after_id", afterId).put("count", count)).map(r -> {
      List<TransferEvent> out = new ArrayList<>();
      for (Object o : r.getJsonArray("transfer_events")) {
        JsonObject e = (JsonObject) o;
        out.add(new TransferEvent(e.getLong("event_id"), instant(e.getString("timestamp")), e.getString("event_type"),
            e.getString("transfer_id"), e.getString("account_id"), e.getString("transfer_type"),
            decimal(e.getValue("transfer_amount"))));
      }
      return new TransferEvents(List.copyOf(out), r.getBoolean("has_more", false));
    });
  }

  @Override
  public Future<Institutions> institutions(int count, int offset, List<String> countryCodes) {
    JsonObject body = new JsonObject().put("count", count).put("offset", offset)
        .put("country_codes", new JsonArray(new ArrayList<>(countryCodes)));
    return post("/institutions/get", body).map(r -> {
      List<Institution> out = new ArrayList<>();
      for (Object o : r.getJsonArray("institutions")) {
        JsonObject i = (JsonObject) o;
        out.add(new Institution(i.getString("institution_id"), i.getString("name"), strings(i.getJsonArray("products")),
            strings(i.getJsonArray("country_codes"))));
      }
      return new Institutions(List.copyOf(out), r.getInteger("total", out.size()));
    });
  }

  /**
   * Sandbox only ({@code /sandbox/public_token/create}): a public token for a test item at {@code institutionId},
   * as if a user had gone through Link.
   */
  public Future<String> sandboxPublicToken(String institutionId, List<String> products) {
    return post("/sandbox/public_token/create", new JsonObject().put("institution_id", institutionId)
        .put("initial_products", new JsonArray(new ArrayList<>(products))))
        .map(r -> r.getString("public_token"));
  }

  /** The public key (a JWK) Plaid signs webhooks with under {@code keyId} ({@code /webhook_verification_key/get}). */
  public Future<JsonObject> webhookVerificationKey(String keyId) {
    return post("/webhook_verification_key/get", new JsonObject().put("key_id", keyId))
        .map(r -> r.getJsonObject("key"));
  }

  /** One call: Plaid's credentials added to {@code body}; a non-2xx answer becomes the matching typed exception. */
  Future<JsonObject> post(String path, JsonObject body) {
    body.put("client_id", clientId).put("secret", secret);
    return web.postAbs(baseUrl + path).timeout(timeoutMs).putHeader("Content-Type", "application/json")
        .sendBuffer(body.toBuffer())
        .recover(err -> Future.failedFuture(new ProviderUnavailableException(NAME, "API_ERROR",
            err instanceof java.util.concurrent.TimeoutException ? "TIMEOUT" : "CONNECTION_FAILED",
            "no answer from " + path + ": " + err.getClass().getSimpleName(), 0, "", DEFAULT_RETRY_AFTER, false)))
        .compose(r -> answer(path, r));
  }

  private static Future<JsonObject> answer(String path, HttpResponse<Buffer> r) {
    JsonObject json = parse(r.body());
    int status = r.statusCode();
    if (status >= 200 && status < 300) {
      return json != null ? Future.succeededFuture(json) : Future.failedFuture(new ProviderUnavailableException(NAME,
          "API_ERROR", "INVALID_RESPONSE", path + " answered " + status + " without a JSON object", status, "",
          DEFAULT_RETRY_AFTER, false));
    }
    String type = json == null ? "API_ERROR" : json.getString("error_type", "API_ERROR");
    String code = json == null ? "HTTP_" + status : json.getString("error_code", "HTTP_" + status);
    String message = json == null ? path + " answered " + status : json.getString("error_message", "");
    String requestId = json == null ? "" : json.getString("request_id", "");
    if (status == 429 || status >= 500) {
      return Future.failedFuture(new ProviderUnavailableException(NAME, type, code, message, status, requestId,
          retryAfter(r.getHeader("Retry-After")), false));
    }
    if (TOKEN_ERRORS.contains(code)) {
      return Future.failedFuture(new InvalidProviderTokenException(NAME, type, code, message, status, requestId));
    }
    return Future.failedFuture(new ProviderRejectedException(NAME, type, code, message, status, requestId));
  }

  private static JsonObject parse(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    try {
      Object v = io.vertx.core.json.Json.decodeValue(body);
      return v instanceof JsonObject o ? o : null;
    } catch (DecodeException e) {
      return null;
    }
  }

  private static Duration retryAfter(String header) {
    try {
      return header == null ? DEFAULT_RETRY_AFTER : Duration.ofSeconds(Math.max(1, Long.parseLong(header.trim())));
    } catch (NumberFormatException e) {
      return DEFAULT_RETRY_AFTER;
    }
  }

  private static Accounts accountsOf(JsonObject r) {
    List<Account> out = new ArrayList<>();
    for (Object o : r.getJsonArray("accounts", new JsonArray())) {
      JsonObject a = (JsonObject) o;
      JsonObject b = a.getJsonObject("balances", new JsonObject());
      out.add(new Account(a.getString("account_id"), a.getString("name"), a.getString("official_name"),
          a.getString("mask"), a.getString("type"), a.getString("subtype"),
          new Balances(decimal(b.getValue("available")), decimal(b.getValue("current")), decimal(b.getValue("limit")),
              b.getString("iso_currency_code"))));
    }
    JsonObject item = r.getJsonObject("item", new JsonObject());
    return new Accounts(item.getString("item_id"), item.getString("institution_id"), List.copyOf(out));
  }

  private static Transfer transferOf(JsonObject t) {
    return new Transfer(t.getString("id"), t.getString("authorization_id"), t.getString("account_id"),
        t.getString("type"), decimal(t.getValue("amount")), t.getString("status"), t.getBoolean("cancellable", false),
        instant(t.getString("created")), t.getValue("failure_reason") instanceof JsonObject f
            ? f.getString("description", f.getString("failure_code")) : null);
  }

  static String amount(BigDecimal amount) {
    return amount.setScale(2, RoundingMode.UNNECESSARY).toPlainString();
  }

  private static BigDecimal decimal(Object v) {
    return v == null ? null : new BigDecimal(v.toString());
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  private static List<String> strings(JsonArray a) {
    return a == null ? List.of() : a.stream().map(String::valueOf).toList();
  }
}
