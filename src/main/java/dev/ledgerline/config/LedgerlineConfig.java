package dev.ledgerline.config;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The typed, validated configuration of one node. Built only from JSON that passed {@link ConfigSchema}. */
public record LedgerlineConfig(
    Node node,
    Logging logging,
    Reload config,
    Cluster cluster,
    Management management,
    Gateway gateway,
    Postgres postgres,
    Redis redis,
    Ledger ledger,
    JsonObject json) {

  public enum Role {
    GATEWAY, TRANSACTIONS, LEDGER, CACHE;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Role of(String id) {
      return valueOf(id.toUpperCase(Locale.ROOT));
    }
  }

  public enum Mode { EMBEDDED, EXTERNAL }

  public record Node(String id, List<Role> roles, Path dataDir, Duration shutdownTimeout) {
    public boolean has(Role role) {
      return roles.contains(role);
    }
  }

  public record Logging(String level, String format, boolean access) {}

  public record Reload(Duration scanInterval) {}

  public record Cluster(boolean enabled, String name, String host, int port, List<String> members, int eventBusPort,
      String configFile, ClusterTls tls) {}

  /** {@code cluster.tls.*}: PEM files of this node's certificate, its key, and the CA certificates it trusts. */
  public record ClusterTls(boolean enabled, String cert, String key, String trust) {}

  /** {@code management.*}; {@code authToken} and {@code authTokenFile} are empty when not set. */
  public record Management(String host, int port, String authToken, String authTokenFile) {
    @Override
    public String toString() {
      return "Management[host=" + host + ", port=" + port + ", authToken=" + (authToken.isEmpty() ? "" : "***")
          + ", authTokenFile=" + authTokenFile + "]";
    }
  }

  /**
   * @param rateLimits operation name → bucket; always holds {@link RateLimit#DEFAULT_OPERATION}
   * @param transfersMaxAmount {@code gateway.transfers.max-amount}: the largest amount a user (not an operator or
   *     admin) may create or post, 1 to 2^128-1
   */
  public record Gateway(String host, int port, int instances, Map<String, RateLimit> rateLimits,
      java.math.BigInteger transfersMaxAmount) {
    /** The bucket of a named operation, or the default one for operations not configured. */
    public RateLimit rateLimit(String operation) {
      RateLimit r = rateLimits.get(operation);
      return r != null ? r : rateLimits.get(RateLimit.DEFAULT_OPERATION);
    }
  }

  /** One token bucket: {@code capacity} is the burst, {@code refillPerSecond} the sustained rate. */
  public record RateLimit(long capacity, double refillPerSecond) {
    public static final String DEFAULT_OPERATION = "default";

    public RateLimit {
      if (capacity < 1 || !(refillPerSecond > 0) || Double.isInfinite(refillPerSecond)) {
        throw new IllegalArgumentException("capacity must be >= 1 and refill-per-second > 0 and finite");
      }
    }

    /** Reads the {@code gateway.rate-limits} map (already validated by the schema). */
    public static Map<String, RateLimit> mapOf(JsonObject limits) {
      Map<String, RateLimit> out = new LinkedHashMap<>();
      for (String op : limits.fieldNames()) {
        JsonObject l = limits.getJsonObject(op);
        out.put(op, new RateLimit(l.getLong("capacity"), l.getDouble("refill-per-second")));
      }
      return Collections.unmodifiableMap(out);
    }
  }

  public record Postgres(Mode mode, String url, int embeddedPort, Path dataDir, int poolSize) {}

  public record Redis(Mode mode, String url, int embeddedPort, int poolSize) {}

  public enum LedgerBackendKind {
    EMBEDDED, TIGERBEETLE;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code ledger.*}: the batching ledger verticle and its backend. */
  public record Ledger(LedgerBackendKind backend, int batchMaxEvents, Duration batchLinger, int queueMaxEvents,
      Duration requestTimeout, String tigerbeetleClusterId, List<String> tigerbeetleAddresses, Engine engine,
      Lease lease) {}

  /** {@code ledger.lease.*}: the embedded ledger's write lease in PostgreSQL. */
  public record Lease(Duration ttl, Duration acquireTimeout) {}

  /** {@code ledger.engine.*}: the embedded engine's files; {@code walArchive} is {@code ledger.wal.archive}. */
  public record Engine(Path dataDir, Duration snapshotInterval, boolean fsync, boolean unsafeNoFsync,
      boolean walArchive) {}

  /** {@code events.*}: the outbox relay and the ledger event store. */
  public record Events(int maxPayloadBytes, int maxAttempts, Duration retention, Duration pollInterval, int batchSize,
      Duration deliveryTimeout, Duration backoffInitial, Duration backoffMax, int ledger) {
    static Events from(JsonObject e) {
      JsonObject b = e.getJsonObject("backoff");
      return new Events(e.getInteger("max-payload-bytes"), e.getInteger("max-attempts"),
          duration(e.getString("retention")), duration(e.getString("poll-interval")), e.getInteger("batch-size"),
          duration(e.getString("delivery-timeout")), duration(b.getString("initial")), duration(b.getString("max")), e.getInteger("ledger"));
    }
  }

  /** {@code events.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Events events() {
    return Events.from(json.getJsonObject("events"));
  }

  static LedgerlineConfig from(JsonObject j) {
    JsonObject n = j.getJsonObject("node");
    JsonObject l = j.getJsonObject("logging");
    JsonObject c = j.getJsonObject("cluster");
    JsonObject m = j.getJsonObject("management");
    JsonObject g = j.getJsonObject("gateway");
    JsonObject p = j.getJsonObject("postgres");
    JsonObject r = j.getJsonObject("redis");
    JsonObject lg = j.getJsonObject("ledger");
    JsonObject tb = lg.getJsonObject("tigerbeetle");
    JsonObject en = lg.getJsonObject("engine");
    return new LedgerlineConfig(
        new Node(n.getString("id"),
            n.getJsonArray("roles").stream().map(String::valueOf).map(Role::of).collect(Collectors.toUnmodifiableList()),
            Path.of(n.getString("data-dir")), duration(n.getString("shutdown-timeout"))),
        new Logging(l.getString("level"), l.getString("format"), l.getBoolean("access")),
        new Reload(duration(j.getJsonObject("config").getString("scan-interval"))),
        new Cluster(c.getBoolean("enabled"), c.getString("name"), c.getString("host"), c.getInteger("port"),
            c.getJsonArray("members").stream().map(String::valueOf).collect(Collectors.toUnmodifiableList()),
            c.getInteger("event-bus-port"), c.getString("config-file"),
            new ClusterTls(c.getJsonObject("tls").getBoolean("enabled"), c.getJsonObject("tls").getString("cert"),
                c.getJsonObject("tls").getString("key"), c.getJsonObject("tls").getString("trust"))),
        new Management(m.getString("host"), m.getInteger("port"), m.getJsonObject("auth").getString("token"),
            m.getJsonObject("auth").getString("token-file")),
        new Gateway(g.getString("host"), g.getInteger("port"),
            g.getInteger("instances") == 0 ? Runtime.getRuntime().availableProcessors() : g.getInteger("instances"),
            RateLimit.mapOf(g.getJsonObject("rate-limits")), maxAmount(g.getJsonObject("transfers").getString("max-amount"))),
        new Postgres(mode(p.getString("mode")), p.getString("url"), p.getInteger("embedded-port"),
            Path.of(p.getString("data-dir")), p.getInteger("pool-size")),
        new Redis(mode(r.getString("mode")), r.getString("url"), r.getInteger("embedded-port"), r.getInteger("pool-size")),
        new Ledger(LedgerBackendKind.valueOf(lg.getString("backend").toUpperCase(Locale.ROOT)),
            lg.getJsonObject("batch").getInteger("max-events"), duration(lg.getJsonObject("batch").getString("linger")),
            lg.getJsonObject("queue").getInteger("max-events"), duration(lg.getString("request-timeout")),
            tb.getString("cluster-id"),
            tb.getJsonArray("addresses").stream().map(String::valueOf).collect(Collectors.toUnmodifiableList()),
            new Engine(Path.of(en.getString("data-dir")), duration(en.getString("snapshot-interval")),
                en.getBoolean("fsync"), en.getBoolean("unsafe-no-fsync"),
                lg.getJsonObject("wal").getBoolean("archive")),
            new Lease(duration(lg.getJsonObject("lease").getString("ttl")),
                duration(lg.getJsonObject("lease").getString("acquire-timeout")))),
        j.copy());
  }

  /** The schema allows 1 to 39 digits; a u128 is at most 2^128-1. */
  private static java.math.BigInteger maxAmount(String s) {
    java.math.BigInteger v = new java.math.BigInteger(s);
    if (v.signum() <= 0 || v.bitLength() > 128) {
      throw new ConfigException("gateway.transfers.max-amount", "gateway.transfers.max-amount: " + s
          + " is not an amount from 1 to 340282366920938463463374607431768211455");
    }
    return v;
  }

  private static Mode mode(String s) {
    return Mode.valueOf(s.toUpperCase(Locale.ROOT));
  }

  /** Parses the schema's duration form: digits followed by ms, s, m or h. */
  public static Duration duration(String s) {
    if (s.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
    }
    long v = Long.parseLong(s.substring(0, s.length() - 1));
    switch (s.charAt(s.length() - 1)) {
      case 's':
        return Duration.ofSeconds(v);
      case 'm':
        return Duration.ofMinutes(v);
      case 'h':
        return Duration.ofHours(v);
      default:
        throw new IllegalArgumentException("not a duration: " + s);
    }
  }

  /** The value of one dotted key, as validated JSON. */
  public Object value(String key) {
    return ConfigPaths.get(json, key);
  }

  /** The value of one dotted key whose schema type is a duration. */
  public Duration durationValue(String key) {
    return duration(String.valueOf(value(key)));
  }
}
