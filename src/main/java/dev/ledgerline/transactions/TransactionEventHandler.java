package dev.ledgerline.transactions;

import dev.ledgerline.cache.TransactionCache;
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
 *   <li>{@code transaction.updated} ({@link TransactionSnapshot}): upserts the {@code transaction_search} row (it
 *       keeps the higher version, so a late or repeated event changes nothing there), then writes the cache entry
 *       {@code transaction:<id>} ({@link TransactionCache}, {@code transactions.cache-ttl}) through both layers: a
 *       payment's answer as its row is now, so a late or repeated event writes the current answer, never an older
 *       one. Any other kind, or a payment without a row here, drops the entry instead; the next read fills it.
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

  private final Vertx vertx;
  private final Pool pool;
  private final PaymentStore payments;
  private final TransactionCache cache;
  private final Duration startTimeout;

  public TransactionEventHandler(Vertx vertx, Pool pool, TransactionCache cache, Duration startTimeout) {
    this.vertx = vertx;
    this.pool = pool;
    this.payments = new PaymentStore(pool, null);
    this.cache = cache;
    this.startTimeout = startTimeout;
  }

  /**
   * The handler on a node's PostgreSQL and its transactions cache; a start waits for {@code temporal.rpc-timeout}
   * plus a margin for the event-bus hop.
   */
  public static TransactionEventHandler create(Vertx vertx, DataServices services, LedgerlineConfig config,
      TransactionCache cache) {
    return new TransactionEventHandler(vertx, services.pool(), cache, config.temporal().rpcTimeout().plusSeconds(5));
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
        .compose(rows -> cacheEntry(s));
  }

  /** Writes the payment's current answer; drops the entry of anything else (or of a payment with no row here). */
  private Future<Void> cacheEntry(TransactionSnapshot s) {
    if (!"payment".equals(s.kind())) {
      return cache.invalidate(s.id());
    }
    return payments.get(s.id()).compose(found -> {
      if (found.isEmpty()) {
        return cache.invalidate(s.id());
      }
      TransactionCache.Cached written = PaymentAnswer.cached(found.get());
      // A change that committed between the read and the write dropped the entry before this write landed: read the
      // row again, and drop what was written if it is no longer the row. A change after this read drops it itself.
      return cache.set(s.id(), written).compose(v -> payments.get(s.id())).compose(now -> now.isPresent()
          && PaymentAnswer.cached(now.get()).etag().equals(written.etag()) ? Future.<Void>succeededFuture()
          : cache.invalidate(s.id()));
    });
  }

  /** The cached entry of a transaction from memory or Redis, or null; never loads it (for tests). */
  public Future<TransactionCache.Cached> cached(String transactionId) {
    return cache.get(transactionId, false, () -> Future.succeededFuture(null)).map(e -> e == null ? null : e.value());
  }
}
