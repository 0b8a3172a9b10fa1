package dev.ledgerline.testing;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.util.Map;

/** A node's management endpoints as tests read them. */
public final class Health {
  private Health() {}

  /** GET a management path of a node; returns status and JSON body. */
  public static Map.Entry<Integer, JsonObject> get(Vertx vertx, int port, String path) {
    var resp = WebClient.create(vertx).get(port, "127.0.0.1", path).send().await();
    String body = resp.bodyAsString();
    return Map.entry(resp.statusCode(), body == null || body.isEmpty() ? new JsonObject() : new JsonObject(body));
  }

  /** GET /health/ready. */
  public static Map.Entry<Integer, JsonObject> ready(Vertx vertx, int port) {
    return get(vertx, port, "/health/ready");
  }

  /** The data of one named check in a /health/ready body. */
  public static JsonObject check(JsonObject health, String id) {
    return health.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> id.equals(c.getString("id"))).findFirst()
        .orElseThrow(() -> new AssertionError("no check " + id + " in " + health.encode()));
  }
}
