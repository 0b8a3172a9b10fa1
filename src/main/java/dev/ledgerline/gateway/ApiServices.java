package dev.ledgerline.gateway;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.access.AccountOwners;
import dev.ledgerline.gateway.idempotency.ClaimHolder;
import dev.ledgerline.gateway.idempotency.IdempotencyStore;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.roles.NodeContext;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the API routes share on one node, made once for all gateway instances: the ledger client, the owner cache,
 * the idempotency store on a pipelining PostgreSQL client (many small statements in flight per connection; a
 * {@code Pool} would send one at a time) and the purge job of expired keys.
 */
public final class ApiServices implements Shareable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServices.class);
  private static final int PIPELINING_LIMIT = 256;
  private static final int PURGE_BATCH = 10_000;
  /** Published with an account id whose owner row was replaced, so every node drops its cached owner. */
  public static final String OWNER_REASSIGNED = "gateway.owners.reassigned";

  private final LedgerClient ledger;
  private final Access access;
  private final IdempotencyStore idempotency;
  private final SqlClient sql;
  private final PgConnectOptions connect;
  private final Duration retention;
  private final Duration wait;
  private final long purgeTimer;
  private final ClaimHolder holder;

  private ApiServices(NodeContext node) {
    Vertx vertx = node.vertx();
    LedgerlineConfig cfg = node.config();
    this.ledger = LedgerClient.create(node);
    this.connect = node.services().postgresUrl()
        .orElseThrow(() -> new IllegalStateException("the gateway needs PostgreSQL")).connectOptions()
        .setPipeliningLimit(PIPELINING_LIMIT);
    this.sql = PgBuilder.client().with(new PoolOptions().setMaxSize(2)).connectingTo(connect).using(vertx).build();
    // A stale owner row replaced on one node (AccountOwners.recordCreated) is forgotten by every node's cache.
    AccountOwners owners = new AccountOwners(sql, ((Number) cfg.value("gateway.owner-cache-size")).longValue(),
        cfg.durationValue("gateway.owner-negative-cache-ttl"), id -> vertx.eventBus().publish(OWNER_REASSIGNED, id));
    vertx.eventBus().<String>consumer(OWNER_REASSIGNED, m -> owners.forget(m.body()));
    this.access = new Access(owners);
    this.holder = ClaimHolder.start(vertx, connect);
    this.retention = cfg.durationValue("gateway.idempotency.retention");
    this.wait = cfg.durationValue("gateway.idempotency.wait");
    // Only for the purge job; requests use idempotencyForInstance.
    this.idempotency = new IdempotencyStore(vertx, sql, retention, wait);
    long every = Math.max(1000, cfg.durationValue("gateway.idempotency.purge-interval").toMillis());
    this.purgeTimer = vertx.setPeriodic(every, t -> idempotency.purgeExpired(PURGE_BATCH).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("purging expired idempotency keys failed: {}", ar.cause().getMessage());
      } else if (ar.result() > 0) {
        LOG.info("purged {} expired idempotency keys", ar.result());
      }
    }));
  }

  /** The node's instance, made on first use. */
  public static ApiServices shared(NodeContext node) {
    return (ApiServices) node.vertx().sharedData().<String, Object>getLocalMap("ledgerline.gateway.api")
        .computeIfAbsent("services", k -> new ApiServices(node));
  }

  public LedgerClient ledger() {
    return ledger;
  }

  public Access access() {
    return access;
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
}
