package dev.ledgerline.testing;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.node.Node;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts Ledgerline nodes on embedded PostgreSQL and Redis for a test class and stops them afterwards. A test class
 * declares the node it needs; it never copies start-up code:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
 *     .set("gateway.instances", "2").build();
 *
 * @Test
 * void aUserOpensAnAccount(WebClient web, Tokens tokens) {
 *   var r = web.post("/v1/accounts").bearerTokenAuthentication(tokens.user("alice")) ...
 * }
 * }</pre>
 *
 * Registered on a static field, the node lives for the class; on an instance field, for each test. Every node gets
 * free gateway and management ports and temporary data directories of its own unless the keys name them.
 * {@link #nodes()} starts nothing up front: the tests start the nodes they need with {@link #start(Map)} (clusters,
 * nodes that must be refused or restarted) and the extension stops every one of them at the end of the scope it was
 * started in.
 *
 * <p>Test methods (and {@code @BeforeAll}/{@code @BeforeEach} methods) may declare parameters of type {@link Node},
 * {@link ConfigService}, {@link WebClient} (aimed at the gateway), {@link Tokens} and {@link NodeExtension}. Use
 * Vert.x's {@code VertxExtension} where a test needs only a Vert.x instance: this extension does not resolve
 * {@link Vertx}, so the two can be used together.
 */
public final class NodeExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
    AfterEachCallback, ParameterResolver {

  /** Rate limits that never bind, for tests that are not about rate limits but send tables of requests. */
  public static final String RATE_LIMITS_NEVER_BIND =
      "{\"default\":{\"capacity\":100000,\"refill-per-second\":100000}}";

  private final Map<String, String> primaryKeys;
  private final List<Node> classNodes = new ArrayList<>();
  private final List<Node> testNodes = new ArrayList<>();
  private boolean classScoped;
  private boolean inTest;
  private Node node;
  private ConfigService config;
  private Vertx client;
  private WebClient web;
  private Tokens tokens;

  private NodeExtension(Map<String, String> primaryKeys) {
    this.primaryKeys = primaryKeys;
  }

  /** One node, started before the tests of its scope, with the keys the builder collects. */
  public static Builder node() {
    return new Builder();
  }

  /** No node up front; the tests start theirs with {@link #start(Map)}. */
  public static NodeExtension nodes() {
    return new NodeExtension(null);
  }

  /**
   * A configuration from built-in defaults plus the given keys (no file, no environment): free ports, a Redis without
   * persistence and data directories of its own unless the keys name them.
   */
  public static ConfigService configWith(Map<String, String> keys) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("management.port", String.valueOf(FreePorts.next()));
    all.put("gateway.port", String.valueOf(FreePorts.next()));
    // A busy test machine can stall a Redis reply past the production default, which would turn a test request into
    // a 503 or switch rate limits to local buckets; tests that exercise the timeout build their own limiter.
    all.put("redis.command-timeout", "5s");
    // Never the working directory's data/: a PostgreSQL, a ledger and a node directory of its own per node, unless
    // the test names them (a lease row, an account or a log left by another test or run must not leak into this one).
    if (!keys.containsKey("postgres.data-dir") && !keys.containsKey("postgres.mode")) {
      all.put("postgres.data-dir", TestData.tempRoot("ledgerline-test-pg").resolve("pg").toString());
    }
    if (!keys.containsKey("ledger.engine.data-dir")) {
      all.put("ledger.engine.data-dir", TestData.tempRoot("ledgerline-test-ledger").resolve("ledger").toString());
    }
    if (!keys.containsKey("node.data-dir")) {
      all.put("node.data-dir", TestData.tempRoot("ledgerline-test-node").toString());
    }
    // In memory unless a test asks for a directory: test nodes must not share (or lock) one append-only file.
    all.put("redis.data-dir", "");
    // Any free port for the embedded Plaid sandbox: test nodes run side by side.
    all.put("providers.sandbox.port", "0");
    all.putAll(keys);
    return ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), all));
  }

  /** Starts a node with these keys; it is stopped at the end of the test (or class) that started it. */
  public Node start(Map<String, String> keys) {
    return start(configWith(keys));
  }

  /** Starts a node with this configuration; it is stopped at the end of the test (or class) that started it. */
  public Node start(ConfigService configuration) {
    Node started = new Node(configuration);
    // Kept before it starts: a start that fails half-way must still release what it took.
    (inTest ? testNodes : classNodes).add(started);
    return started.start().await();
  }

  /** The node this extension started up front. */
  public Node get() {
    if (node == null) {
      throw new IllegalStateException(primaryKeys == null
          ? "NodeExtension.nodes() starts no node up front; use start(keys)" : "the node has not started yet");
    }
    return node;
  }

  public ConfigService config() {
    get();
    return config;
  }

  public int gatewayPort() {
    return config().current().gateway().port();
  }

  public int managementPort() {
    return config().current().management().port();
  }

  /** A Vert.x of the test's own for clients (not the node's), closed with the extension's scope. */
  public synchronized Vertx client() {
    if (client == null) {
      client = Vertx.vertx();
    }
    return client;
  }

  /** A client aimed at the node's gateway on 127.0.0.1: {@code web().get("/v1/accounts/1")}. */
  public synchronized WebClient web() {
    if (web == null) {
      web = WebClient.create(client(), new WebClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(gatewayPort()));
    }
    return web;
  }

  public synchronized Tokens tokens() {
    if (tokens == null) {
      tokens = Tokens.of(config());
    }
    return tokens;
  }

  /** GET /health/ready of the node: status and body. */
  public Map.Entry<Integer, JsonObject> ready() {
    return Health.ready(client(), managementPort());
  }

  /** The node's data directory ({@code node.data-dir}). */
  public Path dataDir() {
    return config().current().node().dataDir();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    classScoped = true;
    startPrimary();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    inTest = true;
    startPrimary();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    inTest = false;
    if (classScoped) {
      stop(testNodes);
    } else {
      stopAll();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stopAll();
  }

  private void startPrimary() {
    if (primaryKeys != null && node == null) {
      config = configWith(primaryKeys);
      node = start(config);
    }
  }

  private synchronized void stopAll() {
    stop(testNodes);
    stop(classNodes);
    node = null;
    if (client != null) {
      client.close().await();
      client = null;
      web = null;
    }
  }

  /** The last started stops first: a cluster's later members leave before the ones they joined. */
  private static void stop(List<Node> nodes) {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).stop().join();
    }
    nodes.clear();
  }

  private static final List<Class<?>> RESOLVED = List.of(Node.class, ConfigService.class, WebClient.class,
      Tokens.class, NodeExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return RESOLVED.contains(type) && (type == NodeExtension.class || primaryKeys != null);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == NodeExtension.class) {
      return this;
    }
    startPrimary();
    if (type == Node.class) {
      return get();
    }
    if (type == ConfigService.class) {
      return config();
    }
    if (type == WebClient.class) {
      return web();
    }
    return tokens();
  }

  /** The keys of the node started up front. */
  public static final class Builder {
    private final Map<String, String> keys = new LinkedHashMap<>();

    private Builder() {}

    /** {@code node.roles}: the verticles the node runs (the default is every role). */
    public Builder roles(String... roles) {
      return set("node.roles", String.join(",", roles));
    }

    public Builder gatewayPort(int port) {
      return set("gateway.port", String.valueOf(port));
    }

    public Builder managementPort(int port) {
      return set("management.port", String.valueOf(port));
    }

    /** {@code gateway.rate-limits} as JSON, e.g. {@link #RATE_LIMITS_NEVER_BIND}. */
    public Builder rateLimits(String json) {
      return set("gateway.rate-limits", json);
    }

    /** Any configuration key, as {@code --set key=value} would give it. */
    public Builder set(String key, String value) {
      keys.put(key, value);
      return this;
    }

    public Builder set(Map<String, String> more) {
      keys.putAll(more);
      return this;
    }

    public NodeExtension build() {
      return new NodeExtension(Map.copyOf(keys));
    }
  }
}
