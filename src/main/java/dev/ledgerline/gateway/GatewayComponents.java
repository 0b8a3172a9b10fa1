package dev.ledgerline.gateway;

import dev.ledgerline.cache.BalanceCache;
import dev.ledgerline.cache.TransactionCache;
import dev.ledgerline.cache.EdgePurger;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.OutboxRelay;
import dev.ledgerline.events.search.TransactionSearch;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.access.AccountOwners;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.gateway.auth.UserCheck;
import dev.ledgerline.gateway.http.HttpEdge;
import dev.ledgerline.gateway.idempotency.ClaimHolder;
import dev.ledgerline.gateway.idempotency.IdempotencyStore;
import dev.ledgerline.gateway.idempotency.LedgerKeys;
import dev.ledgerline.gateway.ratelimit.RateLimiter;
import dev.ledgerline.gateway.revocation.RevocationRecords;
import dev.ledgerline.gateway.routes.PaymentRoutes;
import dev.ledgerline.gateway.revocation.RevocationStore;
import dev.ledgerline.gateway.stream.StreamCursorKey;
import dev.ledgerline.gateway.stream.StreamHandshake;
import dev.ledgerline.gateway.stream.StreamMetrics;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.providers.LinkedAccounts;
import dev.ledgerline.providers.PaymentProvider;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.transactions.PaymentStore;
import dev.ledgerline.users.RolePermissions;
import dev.ledgerline.users.User;
import dev.ledgerline.users.UserDirectory;
import dev.ledgerline.users.UserStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's node-scoped parts, built once by the node and handed to every gateway instance it deploys: the token
 * verifier (one cache, one JWKS watcher), the rate limiter (one per node, as its fallback divides by the member
 * count), the revocation store, the ledger client, the owner cache, the idempotency purge job and claim holder, the
 * stream metrics, the per-address connection counts, and the settings of CORS, TLS and the stream.
 */
public final class GatewayComponents {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayComponents.class);
  private static final int PIPELINING_LIMIT = 256;
  /** Connections of the transaction search's own pool (every search bounded by search.statement-timeout). */
  private static final int SEARCH_CONNECTIONS = 4;
  private static final int PURGE_BATCH = 10_000;
  /** Published with an account id whose owner row was replaced, so every node drops its cached owner. */
  public static final String OWNER_REASSIGNED = "gateway.owners.reassigned";

  private final Vertx vertx;
  private final Clock clock;
  private final JwtAuthenticator authenticator;
  private final LedgerClient ledger;
  /** Idempotency keys of transfer writes (Redis and the ledger, not PostgreSQL). */
  private final LedgerKeys ledgerKeys;
  private final Access access;
  private final PgConnectOptions connect;
  private final SqlClient sql;
  private final TransactionSearch search;
  private final MessageConsumer<String> ownerReassigned;
  private final ClaimHolder holder;
  private final Duration retention;
  private final Duration wait;
  private final long purgeTimer;
  private final RateLimiter limiter;
  private final RevocationStore revocations;
  private final RevocationStore.ReadsWhenUnavailable readsWhenUnavailable;
  private final Set<String> allowedOrigins;
  private final LedgerlineConfig.GatewayTls tls;
  private final StreamHandshake.Settings stream;
  private final StreamMetrics streamMetrics;
  private final StreamCursorKey cursorKey;
  private final HttpEdge.AddressCounts connections = new HttpEdge.AddressCounts();
  private final RolePermissions rolePermissions;
  private final UserDirectory users;
  private final UserCheck userCheck;
  private final MessageConsumer<JsonObject> userChanged;
  private final PgSubscriber userNotifications;
  /** Set once by the node, after the token checks and before any gateway instance is deployed. */
  private volatile LinkedAccounts linkedAccounts;
  private volatile PaymentProvider provider;
  private volatile dev.ledgerline.gateway.routes.ProviderWebhookRoutes webhooks;
  private final Future<Void> started;
  private final PaymentStore paymentStore;
  private final PaymentRoutes payments;
  private final OutboxRelay relay;
  private final BalanceCache balances;
  private final TransactionCache transactions;
  private final EdgePurger edgePurger;
  private volatile String publicCacheControl;
  private volatile dev.ledgerline.events.webhooks.WebhookEndpoints webhookEndpoints;

  /**
   * Builds the parts with the system clock. Throws {@link dev.ledgerline.gateway.auth.NoVerificationKeysException}
   * when there is no verification key (the gateway must not start: vert.x-auth-jwt would then accept unsigned tokens)
   * and {@link dev.ledgerline.gateway.auth.AuthConfigException} for unusable keys or settings.
   */
  public static GatewayComponents create(NodeContext node, OutboxRelay relay) {
    return new GatewayComponents(node, relay, Clock.systemUTC());
  }

  private GatewayComponents(NodeContext node, OutboxRelay relay, Clock clock) {
    Vertx vertx = node.vertx();
    LedgerlineConfig cfg = node.config();
    LedgerlineConfig.GatewaySettings gw = cfg.gatewaySettings();
    this.vertx = vertx;
    this.clock = clock;
    this.relay = relay;
    // First: with no verification key nothing else is built.
    this.authenticator = JwtAuthenticator.create(vertx, JwtSettings.from(cfg), clock);
    authenticator.watch();

    this.ledger = LedgerClient.create(node);
    this.connect = node.services().postgresUrl()
        .orElseThrow(() -> new IllegalStateException("the gateway needs PostgreSQL")).connectOptions()
        .setPipeliningLimit(PIPELINING_LIMIT);
    // A pipelining client: many small statements in flight per connection (a Pool would send one at a time).
    this.sql = PgBuilder.client().with(new PoolOptions().setMaxSize(2)).connectingTo(connect).using(vertx).build();
    this.search = TransactionSearch.create(vertx, connect, SEARCH_CONNECTIONS, cfg.search().statementTimeout());
    // A stale owner row replaced on one node (AccountOwners.recordCreated) is forgotten by every node's cache.
    AccountOwners owners = new AccountOwners(sql, gw.ownerCacheSize(), gw.ownerNegativeCacheTtl(),
        id -> vertx.eventBus().publish(OWNER_REASSIGNED, id));
    this.ownerReassigned = vertx.eventBus().<String>consumer(OWNER_REASSIGNED, m -> owners.forget(m.body()));
    this.access = new Access(owners);
    this.holder = ClaimHolder.start(vertx, connect);
    this.retention = gw.idempotency().retention();
    this.wait = gw.idempotency().retryWait();
    // Only for the purge job; requests use idempotencyForInstance.
    IdempotencyStore purging = new IdempotencyStore(vertx, sql, retention, wait);
    long every = Math.max(1000, gw.idempotency().purgeInterval().toMillis());
    this.purgeTimer = vertx.setPeriodic(every, t -> purging.purgeExpired(PURGE_BATCH).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("purging expired idempotency keys failed: {}", ar.cause().getMessage());
      } else if (ar.result() > 0) {
        LOG.info("purged {} expired idempotency keys", ar.result());
      }
    }));

    // A claim may take as long as a duplicate may wait: failing it at redis.command-timeout (a bound made for the
    // rate limiter's and revocation check's fallbacks) would refuse writes whenever Redis is merely slow.
    Duration redisBound = cfg.redisSettings().commandTimeout().compareTo(wait) > 0
        ? cfg.redisSettings().commandTimeout() : wait;
    this.ledgerKeys = new LedgerKeys(node.services().redis(), sql, holder, retention, wait, redisBound);
    this.limiter = new RateLimiter(vertx, node.services().redis(), cfg.gateway().rateLimits(), node.members(),
        node.registry(), RateLimiter.Options.from(cfg));
    this.revocations = new RevocationStore(node.services().redis(), new RevocationRecords(node.services().pool()),
        RevocationStore.Options.from(cfg), clock);
    this.readsWhenUnavailable = RevocationStore.ReadsWhenUnavailable.from(cfg);
    this.allowedOrigins = Set.copyOf(gw.allowedOrigins());
    this.tls = gw.tls();
    this.stream = new StreamHandshake.Settings(allowedOrigins, gw.stream().pingInterval(), gw.stream().maxQueued(),
        gw.stream().maxAccountsPerMessage(), gw.stream().maxAccounts(), cfg.feed().resumeWindow());
    this.cursorKey = StreamCursorKey.create(vertx, cfg.feed(), node.services().pool());
    this.balances = new BalanceCache(vertx, node.services().redis(), ledger, cfg.cache(),
        cfg.redisSettings().commandTimeout(), node.registry(), node.nodeId(), clock::millis).start();
    this.transactions = TransactionCache.create(node);
    this.edgePurger = new EdgePurger(vertx, cfg.cacheEdge());
    this.publicCacheControl = cfg.cacheEdge().cacheControl();
    // A node may start with another OpenAPI document than the one the edge holds.
    edgePurger.purge(List.of(EdgePurger.OPENAPI));
    node.configService().onReload(c -> {
      limiter.updateLimits(c.gateway().rateLimits());
      LOG.info("rate limits reloaded: {}", c.gateway().rateLimits().keySet());
      balances.update(c.cache());
      transactions.update(c);
      // A reload may change what public answers say (their freshness, the catalog behind them): the edge drops them.
      publicCacheControl = c.cacheEdge().cacheControl();
      edgePurger.purge(List.of(EdgePurger.INSTITUTIONS, EdgePurger.OPENAPI));
    });
    // Users: loaded behind every token from a per-node cache that hears of changes from every node (event bus) and
    // from tools outside the cluster (PostgreSQL NOTIFY).
    LedgerlineConfig.Users uc = cfg.users();
    this.rolePermissions = RolePermissions.from(uc);
    boolean autoProvision = switch (uc.autoProvision()) {
      case "true" -> true;
      case "false" -> false;
      default -> authenticator.keys().isDevelopment();
    };
    this.users = new UserDirectory(new UserStore(node.services().pool(), rolePermissions,
        dev.ledgerline.events.EventPublisher.create(cfg)),
        new UserDirectory.Options(uc.cacheTtl(), uc.staleReadsFor(), autoProvision, uc.cacheSize()),
        com.github.benmanes.caffeine.cache.Ticker.systemTicker());
    if (uc.check()) {
      LOG.info("users: loaded behind every token (cache {} per node, ttl {}); unknown subjects are {}",
          uc.cacheSize(), uc.cacheTtl(), autoProvision ? "provisioned with their token's roles" : "refused");
    } else {
      LOG.warn("users: auth.users.check is false: tokens' roles are trusted as they are, suspensions do not apply");
    }
    this.userCheck = new UserCheck(uc.check() ? users : null, rolePermissions);
    this.userChanged = users.listen(vertx);
    this.userNotifications = PgSubscriber.subscriber(vertx, new PgConnectOptions(connect).setPipeliningLimit(1))
        .reconnectPolicy(retries -> 1000L);
    userNotifications.channel(UserStore.CHANNEL).handler(id -> users.refresh(id)
        .onFailure(e -> LOG.debug("reloading user {} after NOTIFY: {}", id, e.toString())));
    Future<Void> listening = userNotifications.connect().recover(e -> {
      LOG.warn("users: cannot listen for changes made outside the cluster ({}); the cache TTL bounds them",
          e.toString());
      return Future.succeededFuture();
    });
    this.started = Future.join(limiter.start(), revocations.start(vertx), listening, cursorKey.start()).mapEmpty();
    this.streamMetrics = new StreamMetrics(node.registry());
    this.paymentStore = new PaymentStore(node.services().pool(), dev.ledgerline.events.EventPublisher.create(cfg),
        dev.ledgerline.events.LedgerEventStore.create(ledger, node.services().pool(), cfg), transactions);
    this.payments = new PaymentRoutes(vertx, paymentStore, transactions, ledger, access, linkedAccountCheck(),
        UInt128.of(cfg.gateway().transfersMaxAmount()), cfg.temporal().rpcTimeout().plusSeconds(5).toMillis(),
        cfg.payments().maxInFlight(), cfg.payments().externalDeadline().plus(cfg.payments().compensationRetry())
            .multipliedBy(2));
  }

  /** Whether a payment's linked account exists and is its owner's. */
  private PaymentRoutes.LinkedAccountCheck linkedAccountCheck() {
    return (owner, id) -> {
      LinkedAccounts l = linkedAccounts;
      if (l == null) {
        // Without the token vault on this node no link can be read: nothing is written, the client retries.
        return Future.failedFuture(new dev.ledgerline.gateway.http.ProblemException(dev.ledgerline.gateway.http
            .Problem.of(503, "linked accounts are not available on this node (docs/vault.md)")));
      }
      java.util.UUID uuid;
      try {
        uuid = java.util.UUID.fromString(id);
      } catch (IllegalArgumentException e) {
        return Future.succeededFuture(false);
      }
      return l.find(owner, uuid).map(java.util.Optional::isPresent);
    };
  }

  /** The idempotency keys of transfer writes, shared by every gateway instance of this node. */
  public LedgerKeys ledgerKeys() {
    return ledgerKeys;
  }

  /** The payments' rows, as the gateway's routes read and write them. */
  public PaymentStore paymentStore() {
    return paymentStore;
  }

  /** The payment routes, shared by every gateway instance (they keep no per-instance state). */
  public PaymentRoutes payments() {
    return payments;
  }

  /**
   * Stops what runs on its own (JWKS watch, limiter probe, revocation sync, purge job, owner messages) and releases
   * the idempotency claims; the node calls it once its gateway instances are undeployed.
   */
  public Future<Void> close() {
    authenticator.close();
    limiter.close();
    revocations.stop();
    cursorKey.close();
    vertx.cancelTimer(purgeTimer);
    edgePurger.close();
    return Future.join(List.of(ownerReassigned.unregister(), userChanged.unregister(), userNotifications.close(),
        holder.close(), sql.close(), search.close(), payments.close(), balances.close(), transactions.close()))
        .mapEmpty();
  }

  /**
   * Completes once the limiter has loaded its script or gone degraded and the revocation store has made its first
   * sync (refilling Redis from PostgreSQL if needed); never fails.
   */
  public Future<Void> started() {
    return started;
  }

  /** Readiness data of the rate limiter: up in both modes, {@code degraded: true} while buckets are local. */
  public JsonObject health() {
    boolean d = limiter.degraded();
    return new JsonObject().put("backend", d ? "local" : "redis").put("degraded", d);
  }

  /**
   * An idempotency store for the calling gateway instance, on its own pipelining connection, so that its batches are
   * collected and answered on that instance's event loop.
   */
  public IdempotencyStore idempotencyForInstance(Vertx vertx) {
    // Every statement of the store keeps one plan whatever its batch holds (primary-key upserts and lookups), so
    // PostgreSQL may reuse a generic plan instead of planning each batch again.
    PgConnectOptions reusePlans = new PgConnectOptions(connect);
    reusePlans.addProperty("plan_cache_mode", "auto");
    SqlClient own = PgBuilder.client().with(new PoolOptions().setMaxSize(1)).connectingTo(reusePlans).using(vertx)
        .build();
    PgConnectOptions asyncCommit = new PgConnectOptions(reusePlans);
    asyncCommit.addProperty("synchronous_commit", "off");
    SqlClient claims = PgBuilder.client().with(new PoolOptions().setMaxSize(1)).connectingTo(asyncCommit)
        .using(vertx).build();
    return new IdempotencyStore(vertx, own, claims, retention, wait, holder);
  }

  /**
   * The provider parts the routes use, built after this object so that a node without a verification key builds
   * nothing else (no sandbox, no vault key). Called once by the node before it deploys the gateway instances.
   *
   * @param linkedAccounts the users' bank links over the token vault; null when the vault is not configured here
   * @param provider the bank-data provider behind its breaker (the public institution catalog)
   */
  public void useProviders(LinkedAccounts linkedAccounts, PaymentProvider provider) {
    this.linkedAccounts = linkedAccounts;
    this.provider = java.util.Objects.requireNonNull(provider);
  }

  /**
   * The provider webhook route's node-wide state (its replay memory is shared by the node's gateway instances).
   *
   * @param verifier verifies the provider's webhook signatures
   * @param window the verifier's issued-at window
   */
  public void useWebhooks(dev.ledgerline.providers.PlaidWebhookVerifier verifier, java.time.Duration window) {
    this.webhooks = new dev.ledgerline.gateway.routes.ProviderWebhookRoutes(vertx, verifier, window);
  }

  /** The provider webhook route; without {@link #useWebhooks} it answers 503. */
  public dev.ledgerline.gateway.routes.ProviderWebhookRoutes webhooks() {
    return webhooks != null ? webhooks : new dev.ledgerline.gateway.routes.ProviderWebhookRoutes(vertx, null,
        java.time.Duration.ofMinutes(5));
  }

  /**
   * The outbound webhooks' endpoints, once the node has started them; without it (no vault on this node) the
   * webhook routes answer 503.
   */
  public void useWebhookEndpoints(dev.ledgerline.events.webhooks.WebhookEndpoints endpoints) {
    this.webhookEndpoints = endpoints;
  }

  /** The outbound webhooks' endpoints; null when this node's token vault is not configured. */
  public dev.ledgerline.events.webhooks.WebhookEndpoints webhookEndpoints() {
    return webhookEndpoints;
  }

  /** Users' bank links; null when this node's token vault is not configured (the routes then answer 503). */
  public LinkedAccounts linkedAccounts() {
    return linkedAccounts;
  }

  /** The bank-data provider, every call through its breaker. */
  public PaymentProvider provider() {
    return provider;
  }

  /** The node's user cache; the admin routes and the stream read it too. */
  public UserDirectory users() {
    return users;
  }

  /** Account balances cached over the ledger (memory, Redis): every current balance the gateway shows. */
  /** The {@code transaction:<id>} entries behind GET /v1/payments/{id} and GET /v1/transfers/{id}. */
  public TransactionCache transactions() {
    return transactions;
  }

  public BalanceCache balances() {
    return balances;
  }

  /** {@code Cache-Control} of public catalog answers ({@code cache.edge.*}, reloadable). */
  public String publicCacheControl() {
    return publicCacheControl;
  }

  /** Purges public answers from the edge cache; whatever changes public data calls it. */
  public EdgePurger edgePurger() {
    return edgePurger;
  }

  /** The node's outbox relay: the admin routes list and redeliver parked events through it. */
  public OutboxRelay relay() {
    return relay;
  }

  public UserCheck userCheck() {
    return userCheck;
  }

  public RolePermissions rolePermissions() {
    return rolePermissions;
  }

  public Clock clock() {
    return clock;
  }

  public JwtAuthenticator authenticator() {
    return authenticator;
  }

  public LedgerClient ledger() {
    return ledger;
  }

  public Access access() {
    return access;
  }

  public RateLimiter limiter() {
    return limiter;
  }

  public RevocationStore revocations() {
    return revocations;
  }

  public RevocationStore.ReadsWhenUnavailable readsWhenUnavailable() {
    return readsWhenUnavailable;
  }

  /** Exact origins ({@code scheme://host[:port]}) allowed by CORS and the stream's Origin check. */
  public Set<String> allowedOrigins() {
    return allowedOrigins;
  }

  /** {@code gateway.tls.*}. */
  public LedgerlineConfig.GatewayTls tls() {
    return tls;
  }

  /** {@code gateway.stream.*}. */
  public StreamHandshake.Settings stream() {
    return stream;
  }

  /** The transaction search, over its own bounded connections. */
  public TransactionSearch search() {
    return search;
  }

  /** The key of the stream's cursors, shared by every gateway of the cluster. */
  public StreamCursorKey cursorKey() {
    return cursorKey;
  }

  public StreamMetrics streamMetrics() {
    return streamMetrics;
  }

  /** Connections open per client address on this node, across gateway instances. */
  public HttpEdge.AddressCounts connections() {
    return connections;
  }
}
