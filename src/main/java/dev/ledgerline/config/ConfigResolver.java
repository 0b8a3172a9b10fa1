package dev.ledgerline.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Merges the configuration sources in their order of precedence — schema defaults, the file, system properties
 * ({@code ledgerline.*}), environment variables ({@code LEDGERLINE_*}), then {@code --set} — and validates the result.
 * Pure: the loader hands it what vertx-config read, tests hand it maps.
 */
public final class ConfigResolver {
  public static final String SYS_PREFIX = "ledgerline.";
  public static final String ENV_PREFIX = "LEDGERLINE_";

  private final ConfigSchema schema;

  public ConfigResolver(ConfigSchema schema) {
    this.schema = schema;
  }

  public ConfigResolver() {
    this(ConfigSchema.get());
  }

  public LedgerlineConfig resolve(JsonObject file, Map<String, String> sysProps, Map<String, String> env,
      Map<String, String> sets) {
    return LedgerlineConfig.from(resolveJson(file, sysProps, env, sets));
  }

  /** The merged, validated configuration as nested JSON. */
  public JsonObject resolveJson(JsonObject file, Map<String, String> sysProps, Map<String, String> env,
      Map<String, String> sets) {
    JsonObject merged = schema.defaults();
    if (file != null) {
      applyFile("", file, merged);
    }
    sysProps.forEach((name, value) -> {
      if (name.startsWith(SYS_PREFIX)) {
        String key = name.substring(SYS_PREFIX.length());
        requireKnown(key, value, "system property -D" + name);
        ConfigPaths.put(merged, key, coerce(key, value));
      }
    });
    env.forEach((name, value) -> {
      if (name.startsWith(ENV_PREFIX)) {
        String key = keyForEnv(name);
        if (key == null) {
          throw new ConfigException(name, "invalid configuration: environment variable " + name + " = \"" + value
              + "\" names no configuration key; allowed: " + schema.leaves().keySet().stream()
                  .map(ConfigResolver::envName).collect(Collectors.joining(", ")));
        }
        ConfigPaths.put(merged, key, coerce(key, value));
      }
    });
    sets.forEach((key, value) -> {
      requireKnown(key, value, "--set");
      ConfigPaths.put(merged, key, coerce(key, value));
    });
    schema.validate(merged);
    return merged;
  }

  /** {@code gateway.port} → {@code LEDGERLINE_GATEWAY_PORT}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private String keyForEnv(String envName) {
    return schema.leaves().keySet().stream().filter(k -> envName(k).equals(envName)).findFirst().orElse(null);
  }

  private void applyFile(String prefix, JsonObject node, JsonObject merged) {
    for (Map.Entry<String, Object> e : node) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if (schema.isSection(key)) {
        if (!(e.getValue() instanceof JsonObject)) {
          throw new ConfigException(key, "invalid configuration: " + key + " = " + ConfigSchema.render(e.getValue())
              + " is not allowed; expected a section with keys " + String.join(", ", schema.keysUnder(key)));
        }
        applyFile(key, (JsonObject) e.getValue(), merged);
      } else {
        requireKnown(key, e.getValue(), "the configuration file");
        // YAML reads `true` as a boolean; a key whose values are words (dev-keys: auto|true|false) takes its text.
        Object value = e.getValue() instanceof Boolean && "string".equals(schema.type(key))
            ? e.getValue().toString() : e.getValue();
        ConfigPaths.put(merged, key, value);
      }
    }
  }

  private void requireKnown(String key, Object value, String source) {
    if (schema.isKnown(key)) {
      return;
    }
    String section = key.contains(".") ? key.substring(0, key.indexOf('.')) : "";
    String allowed = schema.isSection(section)
        ? "known keys under '" + section + "': " + String.join(", ", schema.keysUnder(section))
        : "known sections: " + schema.leaves().keySet().stream().map(k -> k.substring(0, k.indexOf('.')))
            .distinct().collect(Collectors.joining(", "));
    throw new ConfigException(key, "invalid configuration: unknown key " + key + " = " + ConfigSchema.render(value)
        + " in " + source + "; " + allowed);
  }

  /** Text from a property, variable or --set becomes the schema's type where it parses; else it stays text. */
  private Object coerce(String key, String raw) {
    String type = schema.type(key);
    switch (type) {
      case "integer":
        if (raw.matches("-?[0-9]{1,18}")) {
          return Long.parseLong(raw);
        }
        return raw;
      case "boolean":
        if (raw.equals("true") || raw.equals("false")) {
          return Boolean.parseBoolean(raw);
        }
        return raw;
      case "array":
        if (raw.trim().startsWith("[")) {
          try {
            return new JsonArray(raw);
          } catch (DecodeException e) {
            return raw;
          }
        }
        return new JsonArray(Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty())
            .collect(Collectors.toList()));
      case "number":
        if (raw.matches("-?[0-9]{1,9}(\\.[0-9]{1,9})?")) {
          return Double.parseDouble(raw);
        }
        return raw;
      case "object":
        // Map-valued keys (e.g. per-operation limits) are given as JSON text outside the file.
        try {
          return new JsonObject(raw);
        } catch (DecodeException e) {
          return raw;
        }
      default:
        return raw;
    }
  }
}
