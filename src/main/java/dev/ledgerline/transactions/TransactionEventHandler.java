package dev.ledgerline.transactions;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.Event;
import dev.ledgerline.events.EventConsumer;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.tracing.TraceContext;
import io.opentelemetry.context.Scope;
import dev.ledgerline.transactions.TransactionEventException.Reason;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneOffset;

/**
 * The durable consumer of {@code transaction.*} events (registered with the outbox relay; it sees every event type
 * and ignores the others).
 *
 * <ul>
 *   <li>{@code transaction.created} ({@code {"id"}}): starts workflow {@code transaction-<id>} through a transactions
 *       node ({@link PaymentStarts}). A redelivery finds the workflow already started and is done.
 *   <li>{@code transaction.updated} ({@link TransactionSnapshot}): upserts the {@code transaction_search} row, then
 *       the cache entry {@code transaction:<id>} (with {@code transactions.cache-ttl}). Both keep the higher version,
 *       so a late or repeated event changes nothing, and a retry after a failed cache write only redoes the cache.
 * </ul>
 *
 * A payload it cannot read fails every delivery with {@link TransactionEventException}, so the relay parks it.
 */
public final class TransactionEventHandler implements EventConsumer {
  /** The consumer's cursor name. */
  public static final String NAME = "transactions";
  public static final String CREATED = "transaction.created";
  public static final String UPDATED = "transaction.updated";

  private static final String UPSERT = """
      INSERT INTO transaction_search AS t (id, kind, status, account_ids, amount, ledger, code, description, metadata,
          provider_reference, created_at, updated_at, version, last_event_id)
      VALUES ($1, $2, $3, $4::numeric[], $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14)
      ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status,
          account_ids = EXCLUDED.account_ids, amount = EXCLUDED.amount, ledger = EXCLUDED.ledger,
          code = EXCLUDED.code, description = EXCLUDED.description, metadata = EXCLUDED.metadata,
          provider_reference = EXCLUDED.provider_reference, created_at = EXCLUDED.created_at,
          updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, last_event_id = EXCLUDED.last_event_id,
          indexed_at = now()
      WHERE t.version < EXCLUDED.version""";

  // Keeps the entry with the higher version: an older snapshot never replaces a newer one, an equal one is a repeat.
  // KEYS[1] the entry; ARGV: snapshot JSON, its version, TTL in ms.
  private static final String SET_IF_NEWER = """
      local current = redis.call('GET', KEYS[1])
      if current then
        local ok, decoded = pcall(cjson.decode, current)
        if ok and type(decoded) == 'table' and tonumber(decoded['version']) ~= nil
            and tonumber(decoded['version']) >= tonumber(ARGV[2]) then
          return 0
        end
      end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
      return 1""";

  private final Vertx vertx;
  private final Pool pool;
  private final Redis redis;
  private final Duration cacheTtl;
  private final Duration startTimeout;

  public TransactionEventHandler(Vertx vertx, Pool pool, Redis redis, Duration cacheTtl, Duration startTimeout) {
    this.vertx = vertx;
    this.pool = pool;
    this.redis = redis;
    this.cacheTtl = cacheTtl;
    this.startTimeout = startTimeout;
  }

  /**
   * The handler on a node's PostgreSQL and Redis, with {@code transactions.cache-ttl}; a start waits for
   * {@code temporal.rpc-timeout} plus a margin for the event-bus hop.
   */
  public static TransactionEventHandler create(Vertx vertx, DataServices services, LedgerlineConfig config) {
    return new TransactionEventHandler(vertx, services.pool(), services.hasRedis() ? services.redis() : null,
        config.transactions().cacheTtl(),
        config.temporal().rpcTimeout().plusSeconds(5));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<Void> handle(Event event) {
    try {
      return switch (event.type()) {
        case CREATED -> created(event);
        case UPDATED -> updated(event);
        default -> Future.succeededFuture();
      };
    } catch (TransactionEventException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Void> created(Event event) {
    Object id = event.payload() == null ? null : event.payload().getValue("id");
    if (!(id instanceof String paymentId) || !TransactionsApi.ID.matcher(paymentId).matches()) {
      throw new TransactionEventException(Reason.MALFORMED_PAYLOAD, CREATED + ": id is missing or not an id");
    }
    // The start continues the trace of the request that created the payment (through the outbox, which has none).
    Object traceparent = event.payload().getValue(TraceContext.TRACEPARENT);
    try (Scope ignored = TraceContext.fromTraceparent(traceparent instanceof String t ? t : null).makeCurrent()) {
      return vertx.eventBus().<String>request(TransactionsApi.START_PAYMENT, paymentId,
          new DeliveryOptions().setSendTimeout(startTimeout.toMillis())).mapEmpty();
    }
  }

  private Future<Void> updated(Event event) {
    TransactionSnapshot s = TransactionSnapshot.parse(event.payload());
    return pool.preparedQuery(UPSERT).execute(Tuple.from(new Object[] {s.id(), s.kind(), s.status(),
            s.accountIds().stream().map(a -> Numeric.create(new BigDecimal(a))).toArray(Numeric[]::new),
            Numeric.create(new BigDecimal(s.amount())),
            s.ledger(), s.code(), s.description(), s.metadata(), s.providerReference(),
            s.createdAt().atOffset(ZoneOffset.UTC), s.updatedAt().atOffset(ZoneOffset.UTC), s.version(), event.id()}))
        // A relaying node without Redis (a transactions-only node) keeps the search row; the cache entry expires.
        .compose(rows -> redis == null ? Future.succeededFuture()
            : redis.send(Request.cmd(Command.EVAL).arg(SET_IF_NEWER).arg(1)
                .arg(TransactionsApi.cacheKey(s.id())).arg(s.toJson().encode()).arg(s.version())
                .arg(cacheTtl.toMillis())))
        .mapEmpty();
  }

  /** The cached snapshot of a transaction, or null (for readers and tests). */
  public Future<JsonObject> cached(String transactionId) {
    return redis.send(Request.cmd(Command.GET).arg(TransactionsApi.cacheKey(transactionId)))
        .map(r -> r == null ? null : new JsonObject(r.toString()));
  }
}
