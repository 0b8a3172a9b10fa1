package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.util.Map;

/**
 * A test client for the gateway that checks every answer against the node's own {@code /openapi.json}: the status
 * must be documented for the route and the body must match the documented schema.
 */
final class ApiClient {
  private final WebClient web;
  private final int port;
  private JsonObject openapi;

  ApiClient(Vertx vertx, int port) {
    this.web = WebClient.create(vertx);
    this.port = port;
  }

  /** One answer: status, headers and body. */
  record Answer(int status, io.vertx.core.MultiMap headers, Buffer raw) {
    JsonObject json() {
      return new JsonObject(raw);
    }

    String header(String name) {
      return headers.get(name);
    }
  }

  Answer get(String path, String token) {
    return send(HttpMethod.GET, path, token, null, null, "application/json");
  }

  /** A GET with extra request headers (validators, Cache-Control), checked against /openapi.json like any other. */
  Answer get(String path, String token, Map<String, String> headers) {
    var r = web.get(port, "127.0.0.1", path);
    if (token != null) {
      r.putHeader("Authorization", "Bearer " + token);
    }
    headers.forEach(r::putHeader);
    HttpResponse<Buffer> resp = r.send().await();
    Answer a = new Answer(resp.statusCode(), resp.headers(), resp.body() == null ? Buffer.buffer() : resp.body());
    conforms(HttpMethod.GET, path.replaceAll("\\?.*", ""), a);
    return a;
  }

  Answer post(String path, String token, String key, String body) {
    return send(HttpMethod.POST, path, token, key, body, "application/json");
  }

  /** Sends without waiting (for concurrent requests); check the answer with {@link #conforms}. */
  io.vertx.core.Future<Answer> postAsync(String path, String token, String key, String body) {
    return web.request(HttpMethod.POST, port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", key).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(body))
        .map(r -> new Answer(r.statusCode(), r.headers(), r.body() == null ? Buffer.buffer() : r.body()));
  }

  Answer send(HttpMethod method, String path, String token, String key, String body, String contentType) {
    HttpRequest<Buffer> req = web.request(method, port, "127.0.0.1", path);
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    if (key != null) {
      req.putHeader("Idempotency-Key", key);
    }
    HttpResponse<Buffer> r;
    if (body != null) {
      req.putHeader("Content-Type", contentType);
      r = req.sendBuffer(Buffer.buffer(body)).await();
    } else {
      r = req.send().await();
    }
    Answer a = new Answer(r.statusCode(), r.headers(), r.body() == null ? Buffer.buffer() : r.body());
    conforms(method, path, a);
    return a;
  }

  /** Asserts that the answer is one /openapi.json documents for this route. */
  void conforms(HttpMethod method, String path, Answer a) {
    JsonObject doc = openapi();
    JsonObject op = doc.getJsonObject("paths").getJsonObject(template(path))
        .getJsonObject(method.name().toLowerCase());
    assertThat(op).as("operation %s %s", method, path).isNotNull();
    JsonObject response = op.getJsonObject("responses").getJsonObject(String.valueOf(a.status()));
    assertThat(response).as("status %d of %s %s is documented", a.status(), method, path).isNotNull();
    if (response.containsKey("$ref")) {
      String name = response.getString("$ref").substring("#/components/responses/".length());
      response = doc.getJsonObject("components").getJsonObject("responses").getJsonObject(name);
    }
    JsonObject content = response.getJsonObject("content");
    if (content == null) {
      // 204, 304: documented without a body, and none was sent.
      assertThat(a.raw().length()).as("%s %s -> %d has no body", method, path, a.status()).isZero();
      return;
    }
    String contentType = a.header("Content-Type");
    assertThat(content.getJsonObject(contentType)).as("content type %s of %d", contentType, a.status()).isNotNull();
    JsonObject schema = content.getJsonObject(contentType).getJsonObject("schema");
    // The components become $defs of one standalone JSON Schema (2020-12, the dialect of OpenAPI 3.1).
    String defs = doc.getJsonObject("components").getJsonObject("schemas").encode()
        .replace("#/components/schemas/", "#/$defs/");
    JsonObject root = new JsonObject(schema.encode().replace("#/components/schemas/", "#/$defs/"))
        .put("$defs", new JsonObject(defs));
    OutputUnit out = Validator.create(JsonSchema.of(root),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("https://ledgerline.test/"))
        .validate(a.json());
    assertThat(out.getValid()).as("%s %s -> %d body %s: %s", method, path, a.status(), a.raw(),
        out.getErrors()).isTrue();
  }

  private JsonObject openapi() {
    if (openapi == null) {
      HttpResponse<Buffer> r = web.get(port, "127.0.0.1", "/openapi.json").send().await();
      assertThat(r.statusCode()).isEqualTo(200);
      openapi = r.bodyAsJsonObject();
      assertThat(openapi.getString("openapi")).startsWith("3.1");
    }
    return openapi;
  }

  private static final Map<String, String> TEMPLATES = Map.ofEntries(
      Map.entry("^/v1/accounts/[^/?]+/transfers(\\?.*)?$", "/v1/accounts/{id}/transfers"),
      Map.entry("^/v1/accounts/[^/?]+/balances(\\?.*)?$", "/v1/accounts/{id}/balances"),
      Map.entry("^/v1/accounts(\\?.*)?$", "/v1/accounts"),
      Map.entry("^/v1/transfers/batch$", "/v1/transfers/batch"),
      Map.entry("^/v1/transfers$", "/v1/transfers"),
      Map.entry("^/v1/auth/revoke$", "/v1/auth/revoke"),
      Map.entry("^/v1/admin/users(\\?.*)?$", "/v1/admin/users"),
      Map.entry("^/v1/admin/users/[^/?]+/events$", "/v1/admin/users/{id}/events"),
      Map.entry("^/v1/admin/users/[^/?]+$", "/v1/admin/users/{id}"),
      Map.entry("^/v1/linked-accounts(\\?.*)?$", "/v1/linked-accounts"),
      Map.entry("^/v1/linked-accounts/[^/?]+/balances(\\?.*)?$", "/v1/linked-accounts/{id}/balances"),
      Map.entry("^/v1/linked-accounts/[^/?]+$", "/v1/linked-accounts/{id}"),
      Map.entry("^/v1/institutions(\\?.*)?$", "/v1/institutions"),
      Map.entry("^/v1/provider-webhooks/plaid$", "/v1/provider-webhooks/plaid"),
      Map.entry("^/v1/payments(\\?.*)?$", "/v1/payments"),
      Map.entry("^/v1/payments/[^/?]+/events$", "/v1/payments/{id}/events"),
      Map.entry("^/v1/payments/[^/?]+/cancel$", "/v1/payments/{id}/cancel"),
      Map.entry("^/v1/payments/[^/?]+/resolve$", "/v1/payments/{id}/resolve"),
      Map.entry("^/v1/payments/[^/?]+$", "/v1/payments/{id}"),
      Map.entry("^/v1/admin/events/dead(\\?.*)?$", "/v1/admin/events/dead"),
      Map.entry("^/v1/transactions/search(\\?.*)?$", "/v1/transactions/search"),
      Map.entry("^/v1/admin/events/dead/[^/?]+/retry$", "/v1/admin/events/dead/{id}/retry"),
      Map.entry("^/v1/webhooks(\\?.*)?$", "/v1/webhooks"),
      Map.entry("^/v1/webhooks/[^/?]+/rotate-secret$", "/v1/webhooks/{id}/rotate-secret"),
      Map.entry("^/v1/webhooks/[^/?]+/deliveries(\\?.*)?$", "/v1/webhooks/{id}/deliveries"),
      Map.entry("^/v1/webhooks/[^/?]+/deliveries/[^/?]+/retry$", "/v1/webhooks/{id}/deliveries/{delivery_id}/retry"),
      Map.entry("^/v1/webhooks/[^/?]+$", "/v1/webhooks/{id}"));

  static String template(String path) {
    for (var e : TEMPLATES.entrySet()) {
      if (path.matches(e.getKey())) {
        return e.getValue();
      }
    }
    if (path.matches("^/v1/accounts/[^/?]+$")) {
      return "/v1/accounts/{id}";
    }
    if (path.matches("^/v1/transfers/[^/?]+$")) {
      return "/v1/transfers/{id}";
    }
    throw new AssertionError("no route template for " + path);
  }
}
