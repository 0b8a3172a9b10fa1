package dev.ledgerline.config;

import io.vertx.core.json.JsonObject;

/** Dotted-key access to nested JSON objects. */
final class ConfigPaths {
  private ConfigPaths() {}

  static Object get(JsonObject root, String key) {
    JsonObject cur = root;
    String[] parts = key.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      Object next = cur.getValue(parts[i]);
      if (!(next instanceof JsonObject)) {
        return null;
      }
      cur = (JsonObject) next;
    }
    return cur.getValue(parts[parts.length - 1]);
  }

  static void put(JsonObject root, String key, Object value) {
    JsonObject cur = root;
    String[] parts = key.split("\\.");
    for (int i = 0; i < parts.length - 1; i++) {
      Object next = cur.getValue(parts[i]);
      if (!(next instanceof JsonObject)) {
        next = new JsonObject();
        cur.put(parts[i], next);
      }
      cur = (JsonObject) next;
    }
    cur.put(parts[parts.length - 1], value);
  }
}
