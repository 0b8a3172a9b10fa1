package dev.ledgerline.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The JSON Schema of every configuration key. It owns the keys, their types, ranges, defaults and which of them
 * are reloadable; validation itself is done by vertx-json-schema.
 */
public final class ConfigSchema {
  private static final String RESOURCE = "/ledgerline-config.schema.json";
  private static final ConfigSchema INSTANCE = new ConfigSchema(readResource());

  private final JsonObject schema;
  private final Validator validator;
  /** dotted leaf key → its schema node, in document order. */
  private final Map<String, JsonObject> leaves;

  private ConfigSchema(JsonObject schema) {
    this.schema = schema;
    this.validator = Validator.create(JsonSchema.of(schema),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("app://ledgerline/")
            .setOutputFormat(OutputFormat.Basic));
    Map<String, JsonObject> out = new LinkedHashMap<>();
    collectLeaves("", schema, out);
    this.leaves = Collections.unmodifiableMap(out);
  }

  public static ConfigSchema get() {
    return INSTANCE;
  }

  public Map<String, JsonObject> leaves() {
    return leaves;
  }

  public boolean isKnown(String key) {
    return leaves.containsKey(key);
  }

  public boolean isReloadable(String key) {
    JsonObject node = leaves.get(key);
    return node != null && node.getBoolean("x-reloadable", false);
  }

  /** The keys of one section, e.g. {@code gateway} → {@code [gateway.host, gateway.port]}. */
  public List<String> keysUnder(String prefix) {
    String p = prefix.isEmpty() ? "" : prefix + ".";
    return leaves.keySet().stream().filter(k -> k.startsWith(p)).collect(Collectors.toList());
  }

  public boolean isSection(String key) {
    return !keysUnder(key).isEmpty() && !leaves.containsKey(key);
  }

  /** A nested object holding every key at its default. */
  public JsonObject defaults() {
    JsonObject out = new JsonObject();
    leaves.forEach((key, node) -> ConfigPaths.put(out, key, copy(node.getValue("default"))));
    return out;
  }

  public String type(String key) {
    return leaves.get(key).getString("type");
  }

  /** What the schema allows for a key, in words, for error messages. */
  public String describeAllowed(String key) {
    JsonObject node = leaves.get(key);
    if (node == null) {
      return "one of the known keys";
    }
    return describe(node, key);
  }

  private static String describe(JsonObject node, String key) {
    String type = node.getString("type");
    if (node.containsKey("enum")) {
      return "one of " + node.getJsonArray("enum").stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
    switch (type) {
      case "integer":
        return "an integer from " + node.getValue("minimum") + " to " + node.getValue("maximum");
      case "boolean":
        return "true or false";
      case "array": {
        JsonObject items = node.getJsonObject("items");
        String what = items == null ? "values" : describe(items, key);
        String min = key.equals("cluster.members") ? " (at least one when cluster.enabled is true)" : "";
        return "a list (YAML list or comma-separated) whose items are " + what + min;
      }
      case "string":
        if (node.containsKey("pattern") && node.getString("pattern").contains("(ms|s|m|h)")) {
          return "a duration such as 500ms, 10s, 5m or 24h";
        }
        if (key.endsWith(".url")) {
          return "a URL of the right scheme (required when the mode is external)";
        }
        if (node.containsKey("pattern")) {
          return "a string matching " + node.getString("pattern");
        }
        return "a non-empty string";
      case "object":
        // Map-valued keys describe their own shape; the generic schema text would be unreadable in one line.
        return node.getString("x-allowed", "a map");
      default:
        return "a " + type;
    }
  }

  /** Validates a full (defaults-applied) configuration; throws on the first problem, naming its key. */
  public void validate(JsonObject config) {
    OutputUnit result = validator.validate(config);
    if (Boolean.TRUE.equals(result.getValid())) {
      return;
    }
    List<OutputUnit> errors = result.getErrors() == null ? List.of(result) : result.getErrors();
    // Report the most specific location: the deepest instance path is the key itself, not its section.
    OutputUnit worst = errors.stream()
        .filter(e -> e.getInstanceLocation() != null)
        .max((a, b) -> Integer.compare(depth(a.getInstanceLocation()), depth(b.getInstanceLocation())))
        .orElse(errors.get(0));
    String key = pointerToKey(Objects.requireNonNullElse(worst.getInstanceLocation(), ""));
    // An array item error points below the key (cluster.members.0): report the key.
    while (!key.isEmpty() && !leaves.containsKey(key) && key.contains(".")) {
      key = key.substring(0, key.lastIndexOf('.'));
    }
    Object value = ConfigPaths.get(config, key);
    throw new ConfigException(key, "invalid configuration: " + key + " = " + render(value)
        + " is not allowed; expected " + describeAllowed(key));
  }

  static String render(Object value) {
    if (value instanceof String) {
      return "\"" + value + "\"";
    }
    if (value instanceof JsonArray) {
      return ((JsonArray) value).encode();
    }
    return String.valueOf(value);
  }

  private static int depth(String pointer) {
    return pointer.isEmpty() ? 0 : pointer.split("/").length;
  }

  private static String pointerToKey(String pointer) {
    String p = pointer.startsWith("#") ? pointer.substring(1) : pointer;
    if (p.startsWith("/")) {
      p = p.substring(1);
    }
    return p.replace('/', '.');
  }

  private static Object copy(Object v) {
    if (v instanceof JsonArray) {
      return ((JsonArray) v).copy();
    }
    if (v instanceof JsonObject) {
      return ((JsonObject) v).copy();
    }
    return v;
  }

  private static void collectLeaves(String prefix, JsonObject node, Map<String, JsonObject> out) {
    JsonObject props = node.getJsonObject("properties");
    if (props == null || !"object".equals(node.getString("type"))) {
      out.put(prefix, node);
      return;
    }
    for (String name : props.fieldNames()) {
      collectLeaves(prefix.isEmpty() ? name : prefix + "." + name, props.getJsonObject(name), out);
    }
  }

  JsonObject raw() {
    return schema;
  }

  private static JsonObject readResource() {
    try (InputStream in = ConfigSchema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
