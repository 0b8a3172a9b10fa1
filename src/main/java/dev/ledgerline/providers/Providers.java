package dev.ledgerline.providers;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.providers.sandbox.PlaidSandbox;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's provider layer, built once: on embedded defaults ({@code providers.plaid.base-url: embedded}) the
 * Plaid-compatible sandbox on loopback {@code providers.sandbox.port}; the Plaid client aimed at it or at Plaid; the
 * provider's breaker (its changes published as {@code provider.breaker.changed} when the node has PostgreSQL); the
 * guarded provider everything else calls; and the balance reads with their last good values.
 */
public final class Providers {
  private static final Logger LOG = LoggerFactory.getLogger(Providers.class);
  static final String LOOPBACK = "127.0.0.1";
  /** Connections to the provider per node; more requests queue in the client. */
  private static final int MAX_CONNECTIONS = 64;

  private final PlaidSandbox sandbox;
  private final WebClient web;
  private final PlaidClient plaid;
  private final ProviderBreaker breaker;
  private final GuardedProvider provider;
  private final BalanceReads balances;

  private Providers(PlaidSandbox sandbox, WebClient web, PlaidClient plaid, ProviderBreaker breaker,
      BalanceReads balances) {
    this.sandbox = sandbox;
    this.web = web;
    this.plaid = plaid;
    this.breaker = breaker;
    this.provider = new GuardedProvider(plaid, breaker);
    this.balances = balances;
  }

  /**
   * Starts the provider layer. {@code pool} (may be null) is where breaker changes are published. Fails with
   * {@link ProviderConfigException} when a real Plaid has no credentials, and when the sandbox's port is taken.
   */
  public static Future<Providers> start(Vertx vertx, LedgerlineConfig config, MeterRegistry registry, Pool pool,
      String nodeId) {
    LedgerlineConfig.Providers p = config.providers();
    String clientId;
    String secret;
    try {
      clientId = p.plaidClientId();
      secret = secret(p);
      if (!p.embedded() && (clientId.isEmpty() || secret.isEmpty())) {
        throw new ProviderConfigException("invalid configuration: providers.plaid.base-url = \"" + p.plaidBaseUrl()
            + "\" needs providers.plaid.client-id and providers.plaid.secret (or secret-file)");
      }
    } catch (ProviderConfigException e) {
      return Future.failedFuture(e);
    }
    if (p.embedded()) {
      String id = clientId.isEmpty() ? SandboxSettings.DEVELOPMENT_CLIENT_ID : clientId;
      String s = secret.isEmpty() ? SandboxSettings.DEVELOPMENT_SECRET : secret;
      SandboxSettings settings = new SandboxSettings(LOOPBACK, p.sandboxPort(), id, s, p.sandboxSettleAfter(),
          sandboxWebhookUrl(config));
      return PlaidSandbox.start(vertx, settings)
          .recover(err -> Future.failedFuture(new ProviderConfigException("the embedded Plaid sandbox cannot listen"
              + " on " + LOOPBACK + ":" + p.sandboxPort() + " (providers.sandbox.port): " + err.getMessage())))
          .map(sb -> build(vertx, config, sb, sb.baseUrl(), id, s, registry, pool, nodeId));
    }
    return Future.succeededFuture(build(vertx, config, null, p.plaidBaseUrl(), clientId, secret, registry, pool, nodeId));
  }

  /**
   * Where the embedded sandbox sends its webhooks: the configured URL, or else this node's own webhook route when
   * this node serves the gateway over plain HTTP on a known port (a development node then settles payments by
   * webhook as production does). Only the embedded sandbox uses this; a real provider is configured at Plaid.
   */
  static String sandboxWebhookUrl(LedgerlineConfig config) {
    String configured = config.providers().sandboxWebhookUrl();
    if (!configured.isEmpty()) return configured;
    if (!config.node().has(LedgerlineConfig.Role.GATEWAY) || config.gateway().port() <= 0
        || config.gatewaySettings().tls().enabled()) {
      return "";
    }
    String host = config.gateway().host();
    boolean anyAddress = host == null || host.isEmpty() || "0.0.0.0".equals(host) || "::".equals(host);
    String target = anyAddress ? LOOPBACK : host.contains(":") ? "[" + host + "]" : host;
    return "http://" + target + ":" + config.gateway().port() + "/v1/provider-webhooks/plaid";
  }

  private static Providers build(Vertx vertx, LedgerlineConfig config, PlaidSandbox sandbox, String baseUrl,
      String clientId, String secret, MeterRegistry registry, Pool pool, String nodeId) {
    LedgerlineConfig.Providers p = config.providers();
    WebClient web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setUserAgent("ledgerline"),
        new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
    PlaidClient plaid = new PlaidClient(web, baseUrl, clientId, secret, p.timeout());
    Consumer<ProviderBreaker.Change> listener = pool == null ? change -> { }
        : new BreakerEvents(pool, EventPublisher.create(config), nodeId);
    ProviderBreaker breaker = new ProviderBreaker(vertx, plaid.name(), new ProviderBreaker.Settings(
        p.failureThreshold(), p.resetTimeout(), p.halfOpenSuccesses(), p.timeout()), registry, listener);
    BalanceReads balances = new BalanceReads(new GuardedProvider(plaid, breaker), p.balanceCacheSize(),
        p.balanceMaxStale(), registry, Clock.systemUTC());
    LOG.info("provider plaid at {}{}", baseUrl, sandbox == null ? "" : " (embedded sandbox)");
    return new Providers(sandbox, web, plaid, breaker, balances);
  }

  /** Reads {@code providers.plaid.secret} or {@code secret-file} (not both); empty when neither is set. */
  public static String secret(LedgerlineConfig.Providers p) {
    if (!p.plaidSecret().isEmpty() && !p.plaidSecretFile().isEmpty()) {
      throw new ProviderConfigException("invalid configuration: set providers.plaid.secret or"
          + " providers.plaid.secret-file, not both");
    }
    if (p.plaidSecretFile().isEmpty()) {
      return p.plaidSecret();
    }
    try {
      List<String> lines = Files.readAllLines(Path.of(p.plaidSecretFile()), StandardCharsets.UTF_8);
      String first = lines.isEmpty() ? "" : lines.get(0).trim();
      if (first.isEmpty()) {
        throw new ProviderConfigException("invalid configuration: providers.plaid.secret-file = \""
            + p.plaidSecretFile() + "\" holds no secret on its first line");
      }
      return first;
    } catch (IOException e) {
      throw new ProviderConfigException("invalid configuration: providers.plaid.secret-file = \""
          + p.plaidSecretFile() + "\" cannot be read: " + e.getClass().getSimpleName());
    }
  }

  /** The provider everything calls: each call goes through its breaker. */
  public GuardedProvider provider() {
    return provider;
  }

  /** The unguarded Plaid client (the sandbox-only calls, and benchmarks). */
  public PlaidClient plaid() {
    return plaid;
  }

  public ProviderBreaker breaker() {
    return breaker;
  }

  public BalanceReads balances() {
    return balances;
  }

  /** The Plaid API root in use: the embedded sandbox's resolved URL, or the configured one. */
  public String baseUrl() {
    return plaid.baseUrl();
  }

  /** The embedded sandbox, when the node runs one. */
  public java.util.Optional<PlaidSandbox> sandbox() {
    return java.util.Optional.ofNullable(sandbox);
  }

  /** {@code /health/ready}'s view: UP whatever the breakers say, and degraded while any is not closed. */
  public JsonObject health() {
    JsonObject h = new JsonObject().put(breaker.provider(), breaker.health().put("base_url", baseUrl()));
    if (breaker.state() != ProviderBreaker.State.CLOSED) {
      h.put("degraded", true);
    }
    return h;
  }

  public Future<Void> close() {
    breaker.close();
    web.close();
    return sandbox == null ? Future.succeededFuture() : sandbox.close();
  }
}
