package dev.ledgerline.node;

import dev.ledgerline.cache.CacheVerticle;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.events.ConsumerLag;
import dev.ledgerline.events.OutboxRelay;
import dev.ledgerline.events.webhooks.Webhooks;
import dev.ledgerline.gateway.json.ResponseJson;
import dev.ledgerline.events.RelayStatus;
import dev.ledgerline.events.search.TransferIndexer;
import dev.ledgerline.gateway.GatewayComponents;
import dev.ledgerline.gateway.GatewayVerticle;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.ledger.LedgerVerticle;
import dev.ledgerline.tracing.Tracing;
import dev.ledgerline.providers.LinkedAccounts;
import dev.ledgerline.providers.Providers;
import dev.ledgerline.providers.UnknownLinkedAccountException;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.roles.RoleDeployments;
import dev.ledgerline.roles.RoleVerticle;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.transactions.PaymentStore;
import dev.ledgerline.transactions.TransactionsVerticle;
import dev.ledgerline.transactions.saga.PaymentSagaWorker;
import dev.ledgerline.transactions.saga.ProviderActivitiesImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Ledgerline node: builds Vert.x (local or clustered), starts the management server, deploys one verticle per
 * configured role, and stops all of it in order.
 */
public final class Node {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);
  /** How far a provider webhook's issued-at may be from now (Plaid recommends five minutes). */
  private static final java.time.Duration WEBHOOK_WINDOW = java.time.Duration.ofMinutes(5);

  private final ConfigService configService;
  private final String nodeId;
  private final long startedAt = System.currentTimeMillis();
  private NodeVertx.Built built;
  /** The node's tracing (off until start; closed after Vert.x, so the last spans are exported). */
  private volatile Tracing tracing = Tracing.off();
  private DataServices services;
  private ManagementServer management;
  private RoleDeployments roles;
  /** The outbox relay (null on nodes that do not relay events; see {@link #relaysEvents}). */
  private volatile OutboxRelay relay;
  /** The search index's transfer indexer (null where it does not run; see {@link #indexesTransfers}). */
  private volatile TransferIndexer indexer;
  /** The gateway's node-scoped parts, built once before its instances are deployed (null without the role). */
  private volatile GatewayComponents gateway;
  /** The provider layer (and the embedded sandbox), built with the transactions or gateway role (null without). */
  private volatile Providers providers;
  /** Outbound webhooks on a gateway node with a vault (null before, or without). */
  private volatile Webhooks webhooks;
  /** The users' bank links, opened with the first role that needs them (null before; empty without a vault). */
  private volatile Optional<LinkedAccounts> linked;
  private CompletableFuture<Void> stopping;
  /** Gauges, webhook counters and the operator console (null before the management server is built). */
  private NodeConsole console;

  public Node(ConfigService configService) {
    this.configService = configService;
    String id = configService.current().node().id();
    this.nodeId = id.isEmpty() ? "node-" + UUID.randomUUID().toString().substring(0, 8) : id;
  }

  public String id() {
    return nodeId;
  }

  public Vertx vertx() {
    return built.vertx();
  }

  /** The node's data services (null before start); tests point other nodes at embedded servers with it. */
  public DataServices services() {
    return services;
  }

  /** The gateway's node-scoped parts (null before the gateway role is deployed, or without it). */
  public GatewayComponents gateway() {
    return gateway;
  }

  /** The provider layer: null before the transactions or gateway role is prepared, or without either. */
  public Providers providers() {
    return providers;
  }

  /** The node's outbox relay, or null when this node does not relay events. */
  public OutboxRelay relay() {
    return relay;
  }

  public int members() {
    return built.members();
  }

  /** The node's tracing ({@link Tracing#off()} when {@code tracing.exporter} is none). */
  public Tracing tracing() {
    return tracing;
  }

  /** Starts everything; on failure, what did start is stopped again and the failure is returned. */
  public Future<Node> start() {
    LedgerlineConfig config = configService.current();
    ManagementAuth managementAuth;
    try {
      // Before anything starts: an open management server beyond loopback is refused outright.
      managementAuth = ManagementAuth.from(config.management());
    } catch (NodeRefusedException e) {
      return Future.failedFuture(e);
    }
    try {
      tracing = Tracing.start(config.tracing(), nodeId);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return NodeVertx.build(config, nodeId, tracing).compose(b -> {
      built = b;
      roles = new RoleDeployments(b.vertx());
      LOG.info("node {} starting: roles {}, cluster {}", nodeId,
          config.node().roles().stream().map(Role::id).toList(),
          config.cluster().enabled() ? "on (" + b.members() + " members)" : "off");
      return DataServices.start(b.vertx(), EmbeddedServices.postgres(config), EmbeddedServices.redis(config))
          .recover(err -> Future.failedFuture(EmbeddedServices.namePortInUse(err)));
    }).compose(s -> {
      services = s;
      EmbeddedServices.publishUrls(config, s);
      NodeVertx.Built b = built;
      NodeContext ctx = new NodeContext(nodeId, configService, b.vertx(), b.meters(), s, b::members,
          tracing);
      management = new ManagementServer(b.vertx());
      if (s.hasPostgres()) {
        management.check("postgres", () -> s.pingPostgres().map(v -> new JsonObject()
            .put("mode", config.postgres().mode().name().toLowerCase(java.util.Locale.ROOT))));
      }
      if (s.hasRedis()) {
        String mode = config.redis().mode().name().toLowerCase(java.util.Locale.ROOT);
        // Every role keeps serving without Redis (local rate limits; revocation per auth.revocation.*; the balance
        // cache from memory and the ledger), so an unreachable Redis is degraded, not down.
        management.check("redis", () -> s.pingRedis().map(v -> new JsonObject().put("mode", mode))
            .recover(err -> Future.succeededFuture(new JsonObject().put("mode", mode)
                .put("degraded", true).put("error", String.valueOf(err.getMessage())))));
      }
      management.check("cluster", () -> Future.succeededFuture(new JsonObject()
          .put("enabled", config.cluster().enabled()).put("members", b.members())));
      if (config.node().roles().contains(Role.GATEWAY)) {
        // Local buckets while Redis is away: the node still serves, so it is up, and says it is degraded.
        management.check("ratelimit", () -> {
          GatewayComponents g = gateway;
          return g == null ? Future.failedFuture("gateway not started") : Future.succeededFuture(g.health());
        });
      }
      if (config.node().roles().contains(Role.GATEWAY)) {
        // The balance cache without Redis serves from memory and the ledger: up, and says it is degraded.
        management.check("cache", () -> {
          GatewayComponents g = gateway;
          return g == null ? Future.failedFuture("gateway not started") : Future.succeededFuture(g.balances().health());
        });
      }
      if (config.node().roles().contains(Role.TRANSACTIONS) || config.node().roles().contains(Role.GATEWAY)) {
        // An open breaker degrades the node (balances turn stale, payments wait); it stays UP.
        management.check("providers", () -> {
          Providers p = providers;
          return p == null ? Future.failedFuture("providers not started") : Future.succeededFuture(p.health());
        });
      }
      for (Role role : config.node().roles()) {
        management.check("role." + role.id(), () -> roles.health(role));
      }
      if (relaysEvents(config)) {
        // Built before the roles (the gateway's admin routes use it), started once they are deployed.
        relay = OutboxRelay.create(b.vertx(), s, config, EventConsumers.of(ctx));
        OutboxRelay r = relay;
        management.check("events", () -> r.status().map(Node::relayHealth));
      }
      console = new NodeConsole(nodeId, config, b, s, relay, managementAuth, () -> gateway, management);
      b.vertx().eventBus().consumer(NodeApi.INFO, msg -> msg.reply(info()));
      configService.watch(b.vertx());
      return roles.deployAll(ctx, role -> prepare(role, ctx), this::create, (role, err) -> {
        var gw = ctx.config().gateway();
        return role == Role.GATEWAY && ListenerAddress.inUse(err)
            ? ListenerAddress.refused("gateway.port", gw.host(), gw.port(), err) : err;
      });
    }).compose(v -> relay == null ? Future.<Void>succeededFuture() : relay.start())
        .compose(v -> {
          if (!indexesTransfers(config, services)) return Future.<Void>succeededFuture();
          indexer = TransferIndexer.create(built.vertx(), services.pool(), config, built.registry());
          return indexer.start();
        })
        .compose(v -> management.listen(config.management().host(), config.management().port(), built.registry(),
            managementAuth))
        .map(s -> {
          console.start();
          LOG.info("node {} ready: management http://{}:{}", nodeId, config.management().host(),
              config.management().port());
          return this;
        })
        .recover(err -> {
          LOG.error("node {} failed to start: {}", nodeId, err.getMessage());
          return Future.fromCompletionStage(stop()).transform(ignored -> Future.<Node>failedFuture(err));
        });
  }

  /**
   * Nodes whose roles write events (the gateway's user changes, the transactions role's payments) run a relay; the
   * advisory lock keeps one of them active per cluster. A ledger-only node's PostgreSQL holds just its write lease.
   */
  static boolean relaysEvents(LedgerlineConfig config) {
    return config.node().roles().contains(Role.GATEWAY) || config.node().roles().contains(Role.TRANSACTIONS);
  }

  /**
   * The nodes that relay events also keep transfers in the search index (where PostgreSQL is). Several may run: the
   * indexer's cursor is moved by compare-and-set with its rows, so they never both commit one page.
   */
  static boolean indexesTransfers(LedgerlineConfig config, DataServices services) {
    return relaysEvents(config) && services.hasPostgres() && config.search().indexTransfers();
  }

  /** The node's transfer indexer, or null when it runs none. */
  public TransferIndexer indexer() {
    return indexer;
  }

  /** The relay's readiness data: active or standby, and per consumer the undelivered events and the oldest's age. */
  private static JsonObject relayHealth(RelayStatus status) {
    JsonArray consumers = new JsonArray();
    for (ConsumerLag lag : status.consumers()) {
      consumers.add(new JsonObject().put("name", lag.consumer()).put("undelivered", lag.events())
          .put("oldest_undelivered_ms", lag.oldest().toMillis()).put("parked", lag.parked()));
    }
    return new JsonObject().put("relay", status.active() ? "active" : "standby")
        .put("cluster_relay_active", status.clusterActive()).put("consumers", consumers);
  }

  public NodeApi.NodeInfo info() {
    return new NodeApi.NodeInfo(nodeId,
        configService.current().node().roles().stream().map(Role::id).toList(), startedAt);
  }

  /**
   * Builds what a role's instances share: the gateway's components, once for all its instances (throws, and the node
   * does not start, without a verification key).
   */
  private Future<Void> prepare(Role role, NodeContext ctx) {
    if (role == Role.GATEWAY) {
      try {
        gateway = GatewayComponents.create(ctx, relay);
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
      // The linked-accounts API needs the provider layer (built already when this node has the transactions role,
      // which is prepared earlier) and the token vault.
      boolean pg = ctx.services().hasPostgres();
      Future<Providers> started = providers != null ? Future.succeededFuture(providers)
          : Providers.start(ctx.vertx(), ctx.config(), ctx.registry(), pg ? ctx.services().pool() : null, nodeId)
              .onSuccess(p -> providers = p);
      return started.compose(p -> openLinkedAccounts(ctx, p))
          .onSuccess(linked -> {
            gateway.useProviders(linked.orElse(null), providers.provider());
            // Signature checks are CPU work for an unauthenticated route: two worker threads, off the event loops.
            gateway.useWebhooks(new dev.ledgerline.providers.PlaidWebhookVerifier(providers.plaid(),
                java.time.Clock.systemUTC(), WEBHOOK_WINDOW,
                ctx.vertx().createSharedWorkerExecutor("ledgerline-webhook-checks", 2)), WEBHOOK_WINDOW);
          }).compose(v -> startWebhooks(ctx));
    }
    if (role == Role.TRANSACTIONS) {
      // The saga's external step reads the payer's bank link (and its access token) through the same vault.
      return Providers.start(ctx.vertx(), ctx.config(), ctx.registry(),
          ctx.services().hasPostgres() ? ctx.services().pool() : null, nodeId).onSuccess(p -> providers = p)
          .compose(p -> openLinkedAccounts(ctx, p)).mapEmpty();
    }
    return Future.succeededFuture();
  }

  private RoleVerticle create(Role role, NodeContext ctx) {
    switch (role) {
      case GATEWAY:
        return new GatewayVerticle(ctx, gateway);
      case TRANSACTIONS:
        // The saga's external step goes through the provider layer's breaker; the payment rows are re-driven.
        PaymentStore payments = new PaymentStore(ctx.services().pool(), EventPublisher.create(ctx.config()), null,
            dev.ledgerline.cache.TransactionCache.create(ctx));
        ProviderActivitiesImpl external = new ProviderActivitiesImpl(providers.provider(), linkedAccounts(),
            PaymentSagaWorker.AMOUNT_SCALE, payments);
        return new TransactionsVerticle(ctx, PaymentSagaWorker.registration(ctx, external), payments,
            providers.provider());
      case LEDGER:
        return new LedgerVerticle(ctx);
      case CACHE:
        return new CacheVerticle(ctx);
      default:
        throw new IllegalArgumentException("unknown role " + role);
    }
  }

  /**
   * Outbound webhooks on a gateway node: the endpoints' storage (for the routes), the committed-transfer consumer and
   * the dispatcher. None without PostgreSQL or a vault (the routes then answer 503).
   */
  private Future<Void> startWebhooks(NodeContext ctx) {
    if (!ctx.services().hasPostgres()) return Future.succeededFuture();
    return Webhooks.start(ctx.vertx(), ctx.config(), ctx.services().pool(), gateway.ledger(), ResponseJson::transfer)
        .onSuccess(w -> w.ifPresent(started -> {
          webhooks = started;
          gateway.useWebhookEndpoints(started.endpoints());
        })).mapEmpty();
  }

  /** The users' bank links over the token vault, opened once for the roles that need them (empty without a vault). */
  private Future<Optional<LinkedAccounts>> openLinkedAccounts(NodeContext ctx, Providers p) {
    if (linked != null) return Future.succeededFuture(linked);
    if (!ctx.services().hasPostgres()) return Future.succeededFuture(Optional.empty());
    return LinkedAccounts.open(ctx.vertx(), ctx.config(), ctx.services().pool(), p).onSuccess(l -> linked = l);
  }

  /**
   * The bank accounts behind payments' {@code linked_account_id}s: the link's first account, debited in the owner's
   * name. Without a vault on this node the external step fails and is retried until the external deadline.
   */
  private ProviderActivitiesImpl.LinkedAccounts linkedAccounts() {
    return id -> {
      LinkedAccounts l = linked == null ? null : linked.orElse(null);
      if (l == null) {
        return Future.failedFuture(new IllegalStateException("the token vault is not configured on this node"));
      }
      UUID uuid;
      try {
        uuid = UUID.fromString(id);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(new UnknownLinkedAccountException("no linked account " + id));
      }
      return l.debit(uuid).map(d -> new ProviderActivitiesImpl.LinkedAccount(d.accessToken(), d.accountId(),
          d.owner()));
    };
  }

  /**
   * Stops accepting (the gateway first), lets in-flight work finish within {@code node.shutdown-timeout}, then
   * closes Vert.x, which leaves the cluster. Idempotent.
   */
  public synchronized CompletableFuture<Void> stop() {
    if (stopping != null) {
      return stopping;
    }
    stopping = new CompletableFuture<>();
    if (built == null) {
      tracing.close();
      stopping.complete(null);
      return stopping;
    }
    Duration budget = configService.current().node().shutdownTimeout();
    LOG.info("node {} stopping (budget {})", nodeId, budget);
    configService.close();
    NodeConsole c = console;
    Future<Void> chain = c == null ? Future.succeededFuture() : c.stop().otherwiseEmpty();
    chain = management == null ? chain : chain.eventually(() -> management.close());
    TransferIndexer ix = indexer;
    if (ix != null) {
      chain = chain.eventually(() -> ix.stop()
          .onFailure(e -> LOG.warn("stopping the search indexer failed: {}", e.getMessage())));
    }
    OutboxRelay r = relay;
    if (r != null) {
      // Before the roles: the batches in delivery finish (their consumers may still call a role) and record their
      // cursors; events published meanwhile wait in the outbox for the next active relay.
      chain = chain.eventually(() -> r.stop()
          .onFailure(e -> LOG.warn("stopping the event relay failed: {}", e.getMessage())));
    }
    chain = roles.undeployAfter(chain);
    Webhooks w = webhooks;
    if (w != null) {
      // After the gateway: attempts in flight finish and their outcomes are written before PostgreSQL closes.
      chain = chain.eventually(() -> w.stop()
          .onFailure(e -> LOG.warn("stopping the webhooks failed: {}", e.getMessage())));
    }
    GatewayComponents g = gateway;
    if (g != null) {
      chain = chain.eventually(() -> g.close()
          .onFailure(e -> LOG.warn("closing the gateway's components failed: {}", e.getMessage())));
    }
    Providers p = providers;
    if (p != null) {
      chain = chain.eventually(() -> p.close()
          .onFailure(e -> LOG.warn("closing the providers failed: {}", e.getMessage())));
    }
    Future<Void> bounded = chain.timeout(budget.toMillis() + 1000, TimeUnit.MILLISECONDS)
        .recover(e -> {
          LOG.warn("node {}: in-flight work did not finish within {}; closing anyway", nodeId, budget);
          return Future.succeededFuture();
        });
    CompletableFuture<Void> done = stopping;
    DataServices s = services;
    Future<Void> servicesClosed = bounded.eventually(() -> {
      EmbeddedServices.withdrawUrls(configService.current());
      return s == null ? Future.succeededFuture() : s.close()
          .onFailure(e -> LOG.warn("stopping data services failed: {}", e.getMessage()));
    });
    // Vert.x is closed from a thread of its own: a listener on one of its event loops would outlive the loop.
    NodeVertx.Built b = built;
    servicesClosed.onComplete(ar -> new Thread(() -> closeVertx(b, done), "ledgerline-close").start());
    return stopping;
  }

  private void closeVertx(NodeVertx.Built b, CompletableFuture<Void> done) {
    b.close().toCompletionStage().whenComplete((v, err) -> {
      if (err != null) {
        LOG.warn("closing Vert.x failed: {}", err.getMessage());
      }
      tracing.close();
      LOG.info("node {} stopped", nodeId);
      done.complete(null);
    });
  }
}
