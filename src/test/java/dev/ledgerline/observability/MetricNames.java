package dev.ledgerline.observability;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * Metric names in PromQL expressions, and in a Prometheus exposition. A name in an expression is an identifier that
 * is not a function (followed by a parenthesis), not a keyword, not inside a label matcher {...}, a range [...] or a
 * grouping clause (by/without/on/ignoring (...)), and not a string.
 */
final class MetricNames {
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
      "bool", "and", "or", "unless", "offset", "inf", "nan", "le");
  private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  private MetricNames() {}

  /** The names of every sample in a text exposition (histograms appear with their _bucket, _count and _sum). */
  static Set<String> exported(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      Matcher m = IDENT.matcher(line);
      if (m.lookingAt()) names.add(m.group());
    }
    return names;
  }

  /** The metric names an expression reads. */
  static Set<String> used(String expr) {
    String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")  // strings
        .replaceAll("\\{[^}]*\\}", " ")                                // label matchers
        .replaceAll("\\[[^\\]]*\\]", " ")                              // ranges and subqueries
        .replaceAll("(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
        .replaceAll("\\$\\{?[a-zA-Z_]+\\}?", " ");                     // dashboard variables ($__rate_interval)
    Set<String> names = new TreeSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      String name = m.group();
      int after = m.end();
      while (after < s.length() && Character.isWhitespace(s.charAt(after))) after++;
      boolean function = after < s.length() && s.charAt(after) == '(';
      boolean number = m.start() > 0 && (Character.isDigit(s.charAt(m.start() - 1)) || s.charAt(m.start() - 1) == '.');
      if (!function && !number && !KEYWORDS.contains(name.toLowerCase())) {
        names.add(name);
      }
    }
    return names;
  }

  /** Every {@code expr} of every target of every panel (rows' nested panels too) of a Grafana dashboard. */
  static List<String> dashboardExpressions(String json) {
    List<String> out = new ArrayList<>();
    collect(new JsonObject(json).getJsonArray("panels", new JsonArray()), out);
    return out;
  }

  private static void collect(JsonArray panels, List<String> out) {
    for (Object o : panels) {
      JsonObject panel = (JsonObject) o;
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        String expr = ((JsonObject) t).getString("expr");
        if (expr != null) out.add(expr);
      }
      collect(panel.getJsonArray("panels", new JsonArray()), out);
    }
  }

  /** Every {@code expr} of a Prometheus rule file. */
  @SuppressWarnings("unchecked")
  static List<String> ruleExpressions(String yaml) {
    List<String> out = new ArrayList<>();
    Map<String, Object> doc = new Yaml().load(yaml);
    for (Object g : (List<Object>) doc.get("groups")) {
      for (Object r : (List<Object>) ((Map<String, Object>) g).get("rules")) {
        out.add(String.valueOf(((Map<String, Object>) r).get("expr")));
      }
    }
    return out;
  }
}
