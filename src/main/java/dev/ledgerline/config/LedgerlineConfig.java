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
    Users users,
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

  /**
   * {@code ledger.*}: the batching ledger verticle and its backend; {@code publishCommitted} is
   * {@code ledger.publish-committed}.
   */
  public record Ledger(LedgerBackendKind backend, boolean publishCommitted, int batchMaxEvents, Duration batchLinger,
      int queueMaxEvents, Duration requestTimeout, String tigerbeetleClusterId, List<String> tigerbeetleAddresses,
      Engine engine, Lease lease) {}

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
          duration(e.getString("delivery-timeout")), duration(b.getString("initial")), duration(b.getString("max")),
          e.getInteger("ledger"));
    }
  }

  /** {@code events.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Events events() {
    return Events.from(json.getJsonObject("events"));
  }

  /**
   * {@code feed.*}: the committed-transfer feed. {@code cursorKey} and {@code cursorKeyFile} are empty when not set
   * (then the gateway uses a key generated once and shared through PostgreSQL).
   */
  public record Feed(Duration pollInterval, Duration consumerInterval, Duration resumeWindow, String cursorKey,
      String cursorKeyFile) {
    static Feed from(JsonObject f) {
      return new Feed(duration(f.getString("poll-interval")), duration(f.getString("consumer-interval")),
          duration(f.getString("resume-window")), f.getString("cursor-key"), f.getString("cursor-key-file"));
    }

    @Override
    public String toString() {
      return "Feed[pollInterval=" + pollInterval + ", consumerInterval=" + consumerInterval + ", resumeWindow="
          + resumeWindow + ", cursorKey="
          + (cursorKey.isEmpty() ? "" : "***") + ", cursorKeyFile=" + cursorKeyFile + "]";
    }
  }

  /** {@code feed.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Feed feed() {
    return Feed.from(json.getJsonObject("feed"));
  }

  /**
   * {@code auth.users.*} and {@code auth.roles.*}: loading the user behind each token. {@code autoProvision} is
   * {@code auto}, {@code true} or {@code false}; {@code roles} maps a role name to its permission names.
   */
  public record Users(boolean check, String autoProvision, Duration cacheTtl, Duration staleReadsFor, long cacheSize,
      Map<String, List<String>> roles) {}

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
            lg.getBoolean("publish-committed", true),
            lg.getJsonObject("batch").getInteger("max-events"), duration(lg.getJsonObject("batch").getString("linger")),
            lg.getJsonObject("queue").getInteger("max-events"), duration(lg.getString("request-timeout")),
            tb.getString("cluster-id"),
            tb.getJsonArray("addresses").stream().map(String::valueOf).collect(Collectors.toUnmodifiableList()),
            new Engine(Path.of(en.getString("data-dir")), duration(en.getString("snapshot-interval")),
                en.getBoolean("fsync"), en.getBoolean("unsafe-no-fsync"),
                lg.getJsonObject("wal").getBoolean("archive")),
            new Lease(duration(lg.getJsonObject("lease").getString("ttl")),
                duration(lg.getJsonObject("lease").getString("acquire-timeout")))),
        users(j.getJsonObject("auth")),
        checked(j));
  }

  /** The configuration after the checks the schema cannot express (so a bad one is refused when loaded). */
  private static JsonObject checked(JsonObject j) {
    ledgerWire(j.getJsonObject("ledger").getJsonObject("wire"));
    return j.copy();
  }

  private static Users users(JsonObject auth) {
    JsonObject u = auth.getJsonObject("users");
    JsonObject r = auth.getJsonObject("roles");
    Map<String, List<String>> roles = new LinkedHashMap<>();
    for (String role : r.fieldNames()) {
      roles.put(role, r.getJsonArray(role).stream().map(String::valueOf).collect(Collectors.toUnmodifiableList()));
    }
    return new Users(u.getBoolean("check"), u.getString("auto-provision"), duration(u.getString("cache-ttl")),
        duration(u.getString("stale-reads-for")), u.getLong("cache-size"), Collections.unmodifiableMap(roles));
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

  // Typed reads of the gateway's, auth's and Redis's detailed settings, each built from the validated JSON when asked
  // (the node reads them once, at start), so nothing outside this package reads a setting by its dotted name.

  /**
   * {@code gateway.*} beyond host, port, instances, rate limits and the amount cap.
   *
   * @param bodyLimit {@code gateway.body-limit}, in bytes
   * @param batchBodyLimit {@code gateway.batch-body-limit}, in bytes
   * @param ownerCacheSize {@code gateway.owner-cache-size}
   * @param ownerNegativeCacheTtl {@code gateway.owner-negative-cache-ttl}
   * @param allowedOrigins {@code gateway.cors.allowed-origins}
   */
  public record GatewaySettings(long bodyLimit, long batchBodyLimit, long ownerCacheSize,
      Duration ownerNegativeCacheTtl, Connection connection, Idempotency idempotency, List<String> allowedOrigins,
      GatewayTls tls, Stream stream) {}

  /** {@code gateway.connection.*}. */
  public record Connection(Duration idleTimeout, Duration headerTimeout, Duration bodyTimeout, int maxPerAddress) {}

  /** {@code gateway.idempotency.*}; {@code retryWait} is {@code gateway.idempotency.wait}. */
  public record Idempotency(Duration retention, Duration retryWait, Duration purgeInterval) {}

  /** {@code gateway.tls.*}; {@code cert} and {@code key} are empty when not set. */
  public record GatewayTls(boolean enabled, String cert, String key) {}

  /** {@code gateway.stream.*}. */
  public record Stream(Duration pingInterval, int maxQueued, int maxAccountsPerMessage, int maxAccounts) {}

  /** {@code auth.*}. */
  public record Auth(Jwt jwt, Revocation revocation) {}

  /**
   * {@code auth.jwt.*}; {@code jwksFile}, {@code privateKey} and {@code hs256Secret} are empty when not set, and
   * {@code devKeys} is {@code auto}, {@code true} or {@code false}.
   */
  public record Jwt(List<String> publicKeys, String jwksFile, Duration jwksScanInterval, String privateKey,
      List<String> algorithms, String hs256Secret, String issuer, String audience, Duration leeway,
      boolean requireJti, String devKeys, int cacheSize) {
    @Override
    public String toString() {
      return "Jwt[publicKeys=" + publicKeys + ", jwksFile=" + jwksFile + ", algorithms=" + algorithms
          + ", hs256Secret=" + (hs256Secret.isEmpty() ? "" : "***") + ", issuer=" + issuer + ", audience=" + audience
          + "]";
    }
  }

  /** {@code auth.revocation.*}: {@code readsWhenUnavailable} is {@code allow} or {@code deny}. */
  public record Revocation(String readsWhenUnavailable) {}

  /**
   * {@code redis.*} beyond mode, URL, port and pool.
   *
   * @param dataDir the embedded server's append-only file directory; empty = in memory only
   * @param commandTimeout a rate-limit or revocation call slower than this counts as Redis unavailable
   */
  public record RedisSettings(String dataDir, Duration commandTimeout) {}

  public GatewaySettings gatewaySettings() {
    JsonObject g = json.getJsonObject("gateway");
    JsonObject c = g.getJsonObject("connection");
    JsonObject i = g.getJsonObject("idempotency");
    JsonObject tls = g.getJsonObject("tls");
    JsonObject s = g.getJsonObject("stream");
    return new GatewaySettings(g.getLong("body-limit"), g.getLong("batch-body-limit"), g.getLong("owner-cache-size"),
        duration(g.getString("owner-negative-cache-ttl")),
        new Connection(duration(c.getString("idle-timeout")), duration(c.getString("header-timeout")),
            duration(c.getString("body-timeout")), c.getInteger("max-per-address")),
        new Idempotency(duration(i.getString("retention")), duration(i.getString("wait")),
            duration(i.getString("purge-interval"))),
        strings(g.getJsonObject("cors").getJsonArray("allowed-origins")),
        new GatewayTls(tls.getBoolean("enabled"), tls.getString("cert"), tls.getString("key")),
        new Stream(duration(s.getString("ping-interval")), s.getInteger("max-queued"),
            s.getInteger("max-accounts-per-message"), s.getInteger("max-accounts")));
  }

  public Auth auth() {
    JsonObject a = json.getJsonObject("auth");
    JsonObject j = a.getJsonObject("jwt");
    return new Auth(new Jwt(strings(j.getJsonArray("public-keys")), j.getString("jwks-file"),
        duration(j.getString("jwks-scan-interval")), j.getString("private-key"), strings(j.getJsonArray("algorithms")),
        j.getString("hs256-secret"), j.getString("issuer"), j.getString("audience"), duration(j.getString("leeway")),
        j.getBoolean("require-jti"), j.getString("dev-keys"), j.getInteger("cache-size")),
        new Revocation(a.getJsonObject("revocation").getString("reads-when-unavailable")));
  }

  public RedisSettings redisSettings() {
    JsonObject r = json.getJsonObject("redis");
    return new RedisSettings(r.getString("data-dir"), duration(r.getString("command-timeout")));
  }

  private static List<String> strings(io.vertx.core.json.JsonArray a) {
    return a.stream().map(String::valueOf).collect(Collectors.toUnmodifiableList());
  }

  /**
   * {@code vault.*}: the token vault's key ring.
   *
   * @param activeKey the key id new tokens are encrypted under; empty = the development key
   * @param keys key id → where its 32 bytes are: {@code env:NAME} or {@code file:PATH} (base64 either way)
   * @param devKey {@code auto}, {@code true} or {@code false}: whether a development key may be generated and used
   *     when {@code keys} is empty
   * @param rotationBatchSize rows one rotation transaction re-encrypts
   */
  public record Vault(String activeKey, Map<String, String> keys, String devKey, int rotationBatchSize) {}

  /** {@code vault.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Vault vault() {
    JsonObject v = json.getJsonObject("vault");
    Map<String, String> keys = new LinkedHashMap<>();
    v.getJsonObject("keys").forEach(e -> keys.put(e.getKey(), String.valueOf(e.getValue())));
    return new Vault(v.getString("active-key"), Collections.unmodifiableMap(keys), v.getString("dev-key"),
        v.getJsonObject("rotation").getInteger("batch-size"));
  }

  /**
   * {@code providers.*}: external payment providers behind circuit breakers. {@code plaidBaseUrl} is
   * {@link Providers#EMBEDDED} or Plaid's API root; {@code plaidClientId}, {@code plaidSecret} and
   * {@code plaidSecretFile} are empty when not set.
   */
  public record Providers(String plaidBaseUrl, String plaidClientId, String plaidSecret, String plaidSecretFile,
      int failureThreshold, Duration resetTimeout, int halfOpenSuccesses, Duration timeout, long balanceCacheSize,
      Duration balanceMaxStale, int sandboxPort, Duration sandboxSettleAfter, String sandboxWebhookUrl) {
    public static final String EMBEDDED = "embedded";

    public boolean embedded() {
      return EMBEDDED.equals(plaidBaseUrl);
    }

    @Override
    public String toString() {
      return "Providers[plaidBaseUrl=" + plaidBaseUrl + ", plaidClientId=" + plaidClientId + ", plaidSecret="
          + (plaidSecret.isEmpty() ? "" : "***") + ", plaidSecretFile=" + plaidSecretFile + "]";
    }
  }

  public Providers providers() {
    JsonObject p = json.getJsonObject("providers");
    JsonObject pl = p.getJsonObject("plaid");
    JsonObject b = p.getJsonObject("breaker");
    JsonObject bal = p.getJsonObject("balances");
    JsonObject sb = p.getJsonObject("sandbox");
    return new Providers(pl.getString("base-url"), pl.getString("client-id"), pl.getString("secret"),
        pl.getString("secret-file"), b.getInteger("failure-threshold"), duration(b.getString("reset-timeout")),
        b.getInteger("half-open-successes"), duration(b.getString("timeout")), bal.getLong("cache-size"),
        duration(bal.getString("max-stale")), sb.getInteger("port"), duration(sb.getString("settle-after")),
        sb.getString("webhook-url"));
  }

  /** The value of one dotted key, as validated JSON. */
  public Object value(String key) {
    return ConfigPaths.get(json, key);
  }

  /** The value of one dotted key whose schema type is a duration. */
  public Duration durationValue(String key) {
    return duration(String.valueOf(value(key)));
  }

  /**
   * {@code temporal.*}: where payment workflows run and how this node's worker polls.
   *
   * @param target {@link #INPROCESS} or {@code host:port} of a Temporal cluster's frontend
   */
  public record Temporal(String target, String namespace, Duration rpcTimeout, int clientThreads, TemporalTls tls,
      TemporalWorker worker) {
    /** The default target: Temporal's in-process test server, in real time. */
    public static final String INPROCESS = "inprocess";

    public boolean inProcess() {
      return INPROCESS.equals(target);
    }

    static Temporal from(JsonObject t) {
      JsonObject tls = t.getJsonObject("tls");
      JsonObject w = t.getJsonObject("worker");
      return new Temporal(t.getString("target"), t.getString("namespace"), duration(t.getString("rpc-timeout")),
          t.getInteger("client-threads"),
          new TemporalTls(tls.getBoolean("enabled"), tls.getString("cert"), tls.getString("key"),
              tls.getString("trust"), tls.getString("server-name")),
          new TemporalWorker(w.getInteger("workflow-tasks"), w.getInteger("activities"),
              w.getInteger("local-activities"), w.getInteger("workflow-pollers"), w.getInteger("activity-pollers"),
              w.getInteger("workflow-cache-size"), w.getInteger("max-workflow-threads")));
    }
  }

  /** {@code temporal.tls.*}: PEM files; empty strings mean "not given". */
  public record TemporalTls(boolean enabled, String cert, String key, String trust, String serverName) {}

  /** {@code temporal.worker.*}: concurrency of this node's worker. */
  public record TemporalWorker(int workflowTasks, int activities, int localActivities, int workflowPollers,
      int activityPollers, int workflowCacheSize, int maxWorkflowThreads) {}

  /** {@code temporal.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Temporal temporal() {
    return Temporal.from(json.getJsonObject("temporal"));
  }

  /** {@code transactions.*}: the transactions role's event handler. */
  public record Transactions(Duration cacheTtl) {}

  public Transactions transactions() {
    return new Transactions(duration(json.getJsonObject("transactions").getString("cache-ttl")));
  }

  /**
   * {@code payments.*}: the payment saga's timing, and {@code maxInFlight}, the payments one gateway node keeps
   * running at once before it answers 429 (0 = no bound).
   */
  public record Payments(Duration holdTimeout, Duration externalDeadline, Duration settlementPoll,
      Duration compensationRetry, int maxInFlight) {}

  /** {@code payments.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Payments payments() {
    JsonObject p = json.getJsonObject("payments");
    return new Payments(duration(p.getString("hold-timeout")), duration(p.getString("external-deadline")),
        duration(p.getString("settlement-poll")), duration(p.getString("compensation-retry")),
        p.getInteger("max-in-flight", 16));
  }

  /**
   * {@code cache.*}: the cache layers. The TTLs and sizes are reloadable; {@code refreshLock} is read at start.
   *
   * @param balanceTtl how long a cached balance is served; {@code balanceRefreshAhead} before its end a read refreshes
   */
  public record Cache(int l1MaxEntries, Duration l1Ttl, Duration l2Ttl, boolean debugHeaders, Duration balanceTtl,
      Duration balanceRefreshAhead, Duration refreshLock) {}

  /** {@code cache.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Cache cache() {
    JsonObject c = json.getJsonObject("cache");
    JsonObject b = c.getJsonObject("balance");
    return new Cache(c.getInteger("l1-max-entries"), duration(c.getString("l1-ttl")), duration(c.getString("l2-ttl")),
        c.getBoolean("debug-headers"), duration(b.getString("ttl")), duration(b.getString("refresh-ahead")),
        duration(b.getString("refresh-lock")));
  }

  /**
   * {@code cache.edge.*}: public catalog answers in a shared cache (Varnish, a CDN). The freshness values are
   * reloadable; where purges go is read at start. {@code purgeToken} is a secret: never logged or rendered.
   */
  public record CacheEdge(Duration maxAge, Duration sMaxAge, Duration staleWhileRevalidate, String purgeUrl,
      String purgeMethod, String purgeToken) {
    /** The {@code Cache-Control} of a public answer: browsers, shared caches, and serving stale while refetching. */
    public String cacheControl() {
      return "public, max-age=" + maxAge.toSeconds() + ", s-maxage=" + sMaxAge.toSeconds()
          + ", stale-while-revalidate=" + staleWhileRevalidate.toSeconds();
    }

    @Override
    public String toString() {
      return "CacheEdge[" + cacheControl() + ", purgeUrl=" + purgeUrl + ", purgeMethod=" + purgeMethod + "]";
    }
  }

  /** {@code cache.edge.*}, typed. */
  public CacheEdge cacheEdge() {
    JsonObject e = json.getJsonObject("cache").getJsonObject("edge");
    return new CacheEdge(duration(e.getString("max-age")), duration(e.getString("s-maxage")),
        duration(e.getString("stale-while-revalidate")), e.getString("purge-url"), e.getString("purge-method"),
        e.getString("purge-token"));
  }

  /**
   * {@code metrics.*}: the HTTP latency objective, and pushing the meters over OTLP ({@code push}) besides the
   * Prometheus pull on the management port.
   */
  public record Metrics(Duration slo, boolean pushEnabled, String pushEndpoint, Duration pushStep) {}

  /** {@code metrics.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Metrics metrics() {
    JsonObject m = json.getJsonObject("metrics");
    JsonObject push = m.getJsonObject("push");
    return new Metrics(duration(m.getString("slo")), push.getBoolean("enabled"), push.getString("endpoint"),
        duration(push.getString("step")));
  }

  /**
   * {@code ledger.wire.*}: TigerBeetle's client protocol on the ledger node. {@code clusterId} is the decimal u128
   * clients must send; the TLS paths are empty when not set.
   */
  public record LedgerWire(boolean enabled, String host, int port, String clusterId, boolean allowPlaintext,
      Duration readIdle, Duration frameDeadline, WireTls tls) {
    /** Whether {@code host} only takes connections from this machine. */
    public boolean loopback() {
      String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
      return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
          || h.matches("127(\\.[0-9]{1,3}){3}");
    }
  }

  /** {@code ledger.wire.tls.*}: PEM files; empty strings mean "not given". */
  public record WireTls(boolean enabled, String cert, String key, String trust) {}

  /**
   * {@code ledger.wire.*}, typed and checked: a listener on a non-loopback interface must use mutual TLS or be
   * allowed plaintext explicitly, so an unauthenticated ledger port is never exposed by accident.
   */
  public LedgerWire ledgerWire() {
    return ledgerWire(json.getJsonObject("ledger").getJsonObject("wire"));
  }

  private static LedgerWire ledgerWire(JsonObject w) {
    JsonObject t = w.getJsonObject("tls");
    LedgerWire wire = new LedgerWire(w.getBoolean("enabled"), w.getString("host"), w.getInteger("port"),
        w.getString("cluster-id"), w.getBoolean("allow-plaintext"), duration(w.getString("read-idle")),
        duration(w.getString("frame-deadline")),
        new WireTls(t.getBoolean("enabled"), t.getString("cert"), t.getString("key"), t.getString("trust")));
    if (new java.math.BigInteger(wire.clusterId()).bitLength() > 128) {
      throw new ConfigException("ledger.wire.cluster-id", "invalid configuration: ledger.wire.cluster-id = "
          + wire.clusterId() + " is larger than a u128 (at most 340282366920938463463374607431768211455)");
    }
    if (wire.tls().enabled() && (wire.tls().cert().isEmpty() || wire.tls().key().isEmpty()
        || wire.tls().trust().isEmpty())) {
      throw new ConfigException("ledger.wire.tls", "invalid configuration: ledger.wire.tls.enabled = true needs "
          + "ledger.wire.tls.cert, ledger.wire.tls.key and ledger.wire.tls.trust (mutual TLS)");
    }
    if (wire.enabled() && !wire.loopback() && !wire.tls().enabled() && !wire.allowPlaintext()) {
      throw new ConfigException("ledger.wire.host", "invalid configuration: ledger.wire.host = " + wire.host()
          + " is not loopback: set ledger.wire.tls.enabled (mutual TLS) or, to take unauthenticated writes from the "
          + "network, ledger.wire.allow-plaintext = true");
    }
    return wire;
  }

  /**
   * {@code webhooks.*}: outbound webhooks (docs/webhooks.md). {@code allowPrivate} lets deliveries reach loopback,
   * private, link-local and metadata addresses and plain http (tests and local benches only).
   */
  public record Webhooks(boolean allowPrivate, Duration maxAge, Duration disableAfter, Duration rotationGrace,
      Duration backoffInitial, Duration backoffMax, Duration connectTimeout, Duration timeout, int maxResponseBytes,
      int concurrencyPerEndpoint, int dispatchers, int batchSize, Duration pollInterval, Duration lease,
      int breakerFailures, Duration breakerReset, int maxEndpointsPerOwner) {}

  /** {@code webhooks.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Webhooks webhooks() {
    JsonObject w = json.getJsonObject("webhooks");
    JsonObject backoff = w.getJsonObject("backoff");
    JsonObject breaker = w.getJsonObject("breaker");
    return new Webhooks(w.getBoolean("allow-private"), duration(w.getString("max-age")),
        duration(w.getString("disable-after")), duration(w.getString("rotation-grace")),
        duration(backoff.getString("initial")), duration(backoff.getString("max")),
        duration(w.getString("connect-timeout")), duration(w.getString("timeout")), w.getInteger("max-response-bytes"),
        w.getInteger("concurrency-per-endpoint"), w.getInteger("dispatchers"), w.getInteger("batch-size"), duration(w.getString("poll-interval")),
        duration(w.getString("lease")), breaker.getInteger("failure-threshold"),
        duration(breaker.getString("reset-timeout")), w.getInteger("max-endpoints-per-owner"));
  }

  /** {@code search.*}: the transaction search index (docs/search.md). */
  public record Search(boolean indexTransfers, Duration statementTimeout) {}

  /** {@code search.*}, typed. */
  public Search search() {
    JsonObject s = json.getJsonObject("search");
    return new Search(s.getBoolean("index-transfers"), duration(s.getString("statement-timeout")));
  }

  /** {@code tracing.exporter}: where spans go; {@code none} switches tracing off. */
  public enum TracingExporter {
    NONE, OTLP, ZIPKIN, LOGGING;

    static TracingExporter of(String name) {
      return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /**
   * {@code tracing.*}: OpenTelemetry spans, read at start.
   *
   * @param endpoint the exporter's URL; empty = its local default
   * @param samplingRatio the share of new traces recorded; a propagated context keeps its caller's decision
   */
  public record Tracing(TracingExporter exporter, String endpoint, double samplingRatio, String serviceName,
      Map<String, String> resourceAttributes) {
    public boolean enabled() {
      return exporter != TracingExporter.NONE;
    }
  }

  /** {@code tracing.*}, typed (read from the validated JSON, so this record adds no constructor argument). */
  public Tracing tracing() {
    JsonObject t = json.getJsonObject("tracing");
    Map<String, String> attributes = new java.util.TreeMap<>();
    t.getJsonObject("resource-attributes").forEach(e -> attributes.put(e.getKey(), String.valueOf(e.getValue())));
    return new Tracing(TracingExporter.of(t.getString("exporter")), t.getString("endpoint"),
        t.getNumber("sampling-ratio").doubleValue(), t.getString("service-name"), Map.copyOf(attributes));
  }
}
