package dev.ledgerline.providers.sandbox;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * The sandbox's injected faults (one per endpoint) and its call counts. The admin API's shapes are fixed, scripts use
 * them: {@code {"endpoint","mode","rate","latency_ms","error_code"}} and {@code {"calls":{endpoint: n}}}.
 */
final class SandboxFaults {
  enum Mode { OUTAGE, ERROR, LATENCY, DECLINE }

  /** One fault: applies to a call with probability {@code rate}, after {@code latencyMs}. */
  record Fault(String endpoint, Mode mode, double rate, long latencyMs, String errorCode) {
    JsonObject toJson() {
      return new JsonObject().put("endpoint", endpoint).put("mode", mode.name().toLowerCase(java.util.Locale.ROOT))
          .put("rate", rate).put("latency_ms", latencyMs).put("error_code", errorCode);
    }

    boolean fires() {
      return rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate;
    }
  }

  static final long MAX_LATENCY_MS = 120_000;
  private static final Set<String> FIELDS = Set.of("endpoint", "mode", "rate", "latency_ms", "error_code");

  private final Set<String> endpoints;
  private final Map<String, Fault> faults = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

  SandboxFaults(Set<String> endpoints) {
    this.endpoints = endpoints;
  }

  /** Reads and installs a fault from the admin API's body; a bad body is a {@link SandboxError}. */
  Fault install(JsonObject body) {
    for (String f : body.fieldNames()) {
      if (!FIELDS.contains(f)) {
        throw SandboxError.invalidField(f, "is not a fault field (endpoint, mode, rate, latency_ms, error_code)");
      }
    }
    if (!(body.getValue("endpoint") instanceof String endpoint)) {
      throw SandboxError.missing("endpoint");
    }
    if (!endpoints.contains(endpoint)) {
      throw SandboxError.invalidField("endpoint", "must be one of " + endpoints.stream().sorted().toList());
    }
    if (!(body.getValue("mode") instanceof String m)) {
      throw SandboxError.missing("mode");
    }
    Mode mode;
    try {
      mode = Mode.valueOf(m.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw SandboxError.invalidField("mode", "must be outage, error, latency or decline");
    }
    Object r = body.getValue("rate", 1.0);
    if (!(r instanceof Number rate) || !(rate.doubleValue() >= 0.0 && rate.doubleValue() <= 1.0)) {
      throw SandboxError.invalidField("rate", "must be a number from 0.0 to 1.0");
    }
    Object l = body.getValue("latency_ms", 0);
    if (!(l instanceof Number latency) || latency.doubleValue() != Math.floor(latency.doubleValue())
        || latency.longValue() < 0 || latency.longValue() > MAX_LATENCY_MS) {
      throw SandboxError.invalidField("latency_ms", "must be an integer from 0 to " + MAX_LATENCY_MS);
    }
    Object c = body.getValue("error_code", "INTERNAL_SERVER_ERROR");
    if (!(c instanceof String code) || !code.matches("^[A-Z][A-Z0-9_]{0,63}$")) {
      throw SandboxError.invalidField("error_code", "must be an upper-case Plaid error code");
    }
    Fault fault = new Fault(endpoint, mode, rate.doubleValue(), latency.longValue(), code);
    faults.put(endpoint, fault);
    return fault;
  }

  void clear() {
    faults.clear();
  }

  JsonArray list() {
    JsonArray out = new JsonArray();
    faults.values().stream().sorted(java.util.Comparator.comparing(Fault::endpoint)).forEach(f -> out.add(f.toJson()));
    return out;
  }

  /** Counts a call and returns the fault that applies to it, or null. */
  Fault onCall(String endpoint) {
    calls.computeIfAbsent(endpoint, k -> new LongAdder()).increment();
    Fault f = faults.get(endpoint);
    return f != null && f.fires() ? f : null;
  }

  JsonObject stats() {
    JsonObject c = new JsonObject();
    new TreeMap<>(calls).forEach((k, v) -> c.put(k, v.sum()));
    return new JsonObject().put("calls", c);
  }
}
