package dev.ledgerline.transactions;

import dev.ledgerline.cache.TransactionCache;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventVersionConflictException;
import dev.ledgerline.events.LedgerEventStore;
import dev.ledgerline.events.NewEvent;
import dev.ledgerline.events.StoredEvent;
import dev.ledgerline.events.Uuid7;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.tracing.TraceContext;
import dev.ledgerline.transactions.saga.PaymentStatus;
import dev.ledgerline.transactions.saga.PaymentUpdate;
import dev.ledgerline.transactions.saga.ProviderActivitiesImpl;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The payments table: the record of every payment, written with its events in one PostgreSQL transaction. A new
 * payment and its {@code transaction.created} commit together (the handler of that event starts the saga); each state
 * change the saga records updates the row and publishes {@code payment.updated} together, and a {@code
 * transaction.updated} snapshot (search, cache) when the payment is created, reaches an outcome or needs an operator.
 *
 * <p>With a {@link LedgerEventStore} the payment is also event-sourced: its history ({@link PaymentEvents}) is
 * appended to the ledger event store after the row. The row commits first and the events are derived from it, so a
 * crash between the two is repaired by the next writer: the retried record activity, the saga's load, or the POST's
 * own retry each append whatever version the store is missing.
 */
public final class PaymentStore implements ProviderActivitiesImpl.References {
  private static final Logger LOG = LoggerFactory.getLogger(PaymentStore.class);
  /** Aggregate ids of payment events: {@code payment-<id>}. */
  public static final String AGGREGATE_PREFIX = "payment-";
  public static final String SOURCE = "transactions";
  public static final String PROVIDER_TRANSFER_UPDATED = "provider.transfer.updated";
  public static final int MAX_PAGE = 100;

  /** The SQL condition "the payment has not ended", from {@link PaymentStatus#terminal}, so that both agree. */
  private static final String NOT_TERMINAL = "status NOT IN (" + java.util.Arrays.stream(PaymentStatus.values())
      .filter(PaymentStatus::terminal).map(s -> "'" + s.wireName() + "'")
      .collect(java.util.stream.Collectors.joining(", ")) + ")";
  private static final String COLUMNS = "id::text, owner, status, from_account_id::text, amount::text, ledger, code, "
      + "provider, linked_account_id, description, metadata, cancel_requested, provider_reference, failure_reason, "
      + "steps, version, created_at, updated_at";

  private final Pool pool;
  private final EventPublisher events;
  private final LedgerEventStore eventStore;
  /** Dropped for a payment after each change of its row; null where nothing reads it through the cache. */
  private final TransactionCache cache;

  /** Without the ledger event store: the row and the outbox only (readers of the row). */
  public PaymentStore(Pool pool, EventPublisher events) {
    this(pool, events, null, null);
  }

  public PaymentStore(Pool pool, EventPublisher events, LedgerEventStore eventStore) {
    this(pool, events, eventStore, null);
  }

  /**
   * @param cache the {@code transaction:<id>} entries: each change of a row drops its payment's entry once it has
   *     committed (the {@code transaction.updated} handler writes the outcome's entry itself)
   */
  public PaymentStore(Pool pool, EventPublisher events, LedgerEventStore eventStore, TransactionCache cache) {
    this.pool = pool;
    this.events = events;
    this.eventStore = eventStore;
    this.cache = cache;
  }

  /** Drops the payment's cache entry on every node after its row changed; never fails. */
  private Future<Void> changed(String paymentId) {
    return cache == null ? Future.succeededFuture() : cache.invalidate(paymentId);
  }

  /** Writes the row ({@code pending}) and {@code transaction.created} in one transaction. */
  public Future<Payment> create(NewPayment p) {
    return create(p, committed -> { });
  }

  /**
   * As {@link #create(NewPayment)}; {@code committed} is told as soon as the row is committed, before
   * {@code payment.requested} is appended to the event store (the saga may start meanwhile: its first record appends
   * the same event, and the two appends agree).
   */
  public Future<Payment> create(NewPayment p, java.util.function.Consumer<Payment> committed) {
    UUID id = Uuid7.next();
    // The request's trace travels with the event, so the saga its handler starts continues it.
    String traceparent = TraceContext.traceparent();
    return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO payments (id, owner, status, "
            + "from_account_id, amount, ledger, code, provider, linked_account_id, description, metadata) "
            + "VALUES ($1, $2, 'pending', $3::text::numeric, $4::text::numeric, $5, $6, $7, $8, $9, $10) "
            + "RETURNING " + COLUMNS)
        .execute(Tuple.from(new Object[] {id, p.owner(), p.fromAccountId(), p.amount(), p.ledger(), p.code(),
            p.provider(), p.linkedAccountId(), p.description(), p.metadata()}))
        .map(rows -> payment(rows.iterator().next()))
        .compose(payment -> publish(conn, id, "transaction.created", created(payment, traceparent))
            .compose(v -> publish(conn, id, "transaction.updated", snapshot(payment, payment.status())))
            .map(payment)))
        .onSuccess(committed::accept)
        // payment.requested (version 1) follows the row. Failing here would hide a payment that exists, so a failure
        // is only logged: the saga's first record appends it.
        .compose(payment -> eventStore == null ? Future.succeededFuture(payment)
            : syncEvents(payment.id()).map(payment).recover(e -> {
              LOG.warn("payment {}: payment.requested not appended yet ({}); the saga appends it", payment.id(),
                  e.toString());
              return Future.succeededFuture(payment);
            }));
  }

  public Future<Optional<Payment>> get(String id) {
    UUID uuid = uuid(id);
    if (uuid == null) return Future.succeededFuture(Optional.empty());
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM payments WHERE id = $1").execute(Tuple.of(uuid))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(payment(rows.iterator().next())));
  }

  /**
   * The owner's payments, newest first, optionally of one status; {@code cursor} is the previous page's
   * {@code nextCursor}. Nobody else's payment is ever listed.
   */
  public Future<PaymentPage> list(String owner, PaymentStatus status, String cursor, int limit) {
    int size = Math.max(1, Math.min(limit, MAX_PAGE));
    UUID after = cursor == null ? null : uuid(cursor);
    if (cursor != null && after == null) {
      return Future.failedFuture(new IllegalArgumentException("cursor is not a payment id"));
    }
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM payments WHERE owner = $1 "
            + "AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id < $3) ORDER BY id DESC LIMIT $4")
        .execute(Tuple.of(owner, status == null ? null : status.wireName(), after, size + 1))
        .map(rows -> {
          List<Payment> out = new ArrayList<>();
          for (Row r : rows) out.add(payment(r));
          if (out.size() <= size) return new PaymentPage(out, null);
          List<Payment> page = out.subList(0, size);
          return new PaymentPage(List.copyOf(page), page.get(size - 1).id());
        });
  }

  /**
   * Records an owner's cancel, allowed while the payment is {@code pending}, {@code reserved} or
   * {@code external_pending}; answers the payment when the cancel was recorded, empty otherwise (not the owner's, or
   * too late). The caller then signals the workflow; a re-drive reads the flag and compensates. The workflow still
   * decides: a provider success that won the race makes the payment complete.
   */
  public Future<Optional<Payment>> requestCancel(String id, String owner) {
    return requestCancel(id, owner, owner);
  }

  /** As {@link #requestCancel(String, String)}, by someone else than the owner (an operator), who is recorded. */
  public Future<Optional<Payment>> requestCancel(String id, String owner, String by) {
    UUID uuid = uuid(id);
    if (uuid == null) return Future.succeededFuture(Optional.empty());
    // The first cancel is a state change of its own (a step, so an event); a repeated one changes nothing.
    JsonObject step = new JsonObject().put("event_id", Uuid7.next().toString()).put("event", "CancelRequested")
        .put("status", "").put("at", Instant.now().toString())
        .put("detail", by.equals(owner) ? new JsonObject() : new JsonObject().put("by", by));
    return pool.preparedQuery("UPDATE payments SET steps = CASE WHEN cancel_requested THEN steps "
            + "ELSE steps || jsonb_build_array(jsonb_set($3::jsonb, '{status}', to_jsonb(status))) END, "
            + "cancel_requested = true, updated_at = now() WHERE id = $1 "
            + "AND owner = $2 AND status IN ('pending', 'reserved', 'external_pending') "
            + "AND NOT steps @> '[{\"event\": \"" + Payment.EXTERNAL_SUCCEEDED + "\"}]'::jsonb RETURNING " + COLUMNS)
        .execute(Tuple.of(uuid, owner, step))
        .map(rows -> rows.size() == 0 ? Optional.<Payment>empty() : Optional.of(payment(rows.iterator().next())))
        .compose(found -> found.isEmpty() ? Future.succeededFuture(found) : changed(found.get().id()).map(found))
        .compose(found -> found.isEmpty() || eventStore == null ? Future.succeededFuture(found)
            // The cancel is recorded: an append that fails now is made by the saga's next record activity.
            : syncEvents(id).map(found).recover(e -> {
              LOG.warn("payment {}: payment.cancel_requested not appended yet ({}); the saga appends it", id,
                  e.toString());
              return Future.succeededFuture(found);
            }));
  }

  /**
   * The payment's event stream as the ledger event store holds it, in version order: {@code payment.requested} (1),
   * then one event per state change (see {@link PaymentEvents}), each with its ledger transfer and the ledger's
   * timestamp. Empty without an event store.
   */
  public Future<List<StoredEvent>> events(String id) {
    if (eventStore == null || uuid(id) == null) return Future.succeededFuture(List.of());
    return eventStore.getEvents(PaymentEvents.aggregate(id));
  }

  /**
   * Appends whatever of the payment's history the event store is missing (the row is the source of each event), and
   * checks what it holds: a version held by another type or another event id is an
   * {@link EventVersionConflictException}. A retry after a crash anywhere in between appends each event once. A no-op
   * without an event store.
   */
  public Future<Void> syncEvents(String id) {
    if (eventStore == null) return Future.succeededFuture();
    return appendMissing(id);
  }

  /**
   * Reads the row and, of its stored events, what tells each apart (version, type, event id), in one statement and so
   * in one snapshot: an event is appended only after its row change committed, so the row read holds every stored
   * version, and a newer event of a concurrent writer never looks foreign.
   */
  private Future<Void> appendMissing(String id) {
    UUID uuid = uuid(id);
    if (uuid == null) return Future.failedFuture(new IllegalArgumentException("no payment " + id));
    return pool.preparedQuery("SELECT " + COLUMNS + ", (SELECT coalesce(json_agg(json_build_array(e.version, "
            + "e.event_type, e.payload->>'event_id') ORDER BY e.version), '[]'::json) FROM ledger_events e "
            + "WHERE e.aggregate_id = $2::text::numeric) AS stored_events FROM payments WHERE id = $1")
        .execute(Tuple.of(uuid, PaymentEvents.aggregate(id).toString()))
        .compose(rows -> {
          if (rows.size() == 0) return Future.failedFuture(new IllegalArgumentException("no payment " + id));
          Row r = rows.iterator().next();
          List<Held> held = new ArrayList<>();
          for (Object e : r.getJsonArray("stored_events")) {
            JsonArray a = (JsonArray) e;
            held.add(new Held(a.getLong(0), a.getString(1), a.getString(2)));
          }
          return appendEvents(payment(r), held);
        });
  }

  /** What tells a stored event apart from another of its version. */
  private record Held(long version, String type, String eventId) {
    boolean is(PaymentEvents.Expected e) {
      return type.equals(e.type()) && Objects.equals(eventId, e.eventId());
    }
  }

  /**
   * The payload of a payment's event at {@code version} as its row derives it, when it is of {@code type}: what
   * {@code verify-events --repair} rebuilds a lost {@code ledger_events} row from.
   */
  public Future<Optional<JsonObject>> eventPayload(UInt128 aggregate, long version, String type) {
    if (!type.startsWith(PaymentEvents.TYPE_PREFIX) || aggregate.isZero()) {
      return Future.succeededFuture(Optional.empty());
    }
    return get(PaymentEvents.paymentId(aggregate)).map(p -> p.flatMap(payment -> PaymentEvents.of(payment).stream()
        .filter(e -> e.version() == version && e.type().equals(type)).findFirst()
        .map(PaymentEvents.Expected::payload)));
  }

  /**
   * Another writer of this payment (the POST, a cancel, the saga) appended {@code expected}'s version at the same time:
   * done when what it wrote is this row's event, a real conflict otherwise.
   */
  private Future<Void> appendedMeanwhile(UInt128 aggregate, PaymentEvents.Expected expected, Throwable conflict) {
    return eventStore.getEvents(aggregate).compose(stored -> stored.stream()
        .anyMatch(s -> s.version() == expected.version()
            && new Held(s.version(), s.type(), s.payload().getString("event_id")).is(expected))
        ? Future.succeededFuture() : Future.failedFuture(conflict));
  }

  private Future<Void> appendEvents(Payment p, List<Held> stored) {
    UInt128 aggregate = PaymentEvents.aggregate(p.id());
    List<PaymentEvents.Expected> expected = PaymentEvents.of(p);
    Map<Long, Held> held = new HashMap<>();
    for (Held s : stored) held.put(s.version(), s);
    List<PaymentEvents.Expected> missing = new ArrayList<>();
    for (PaymentEvents.Expected e : expected) {
      Held s = held.remove(e.version());
      if (s == null) {
        missing.add(e);
      } else if (!s.is(e)) {
        return Future.failedFuture(new EventVersionConflictException(aggregate, e.version()));
      }
    }
    // A version the row does not have: someone else writes this aggregate.
    if (!held.isEmpty()) {
      return Future.failedFuture(new EventVersionConflictException(aggregate, held.keySet().iterator().next()));
    }
    // In version order, so the ledger timestamps follow the versions; together, in one ledger request. The row
    // rebuilds each event's payload, so none is kept aside while the ledger writes.
    return eventStore.appendRebuildable(aggregate, missing.stream()
            .map(e -> new LedgerEventStore.Next(e.version(), e.type(), e.payload())).toList()).<Void>mapEmpty()
        .recover(err -> err instanceof EventVersionConflictException ? appendOneByOne(aggregate, missing)
            : Future.failedFuture(err));
  }

  /** Another writer of this payment may be appending the same events: each one it wrote first counts as done. */
  private Future<Void> appendOneByOne(UInt128 aggregate, List<PaymentEvents.Expected> missing) {
    Future<Void> chain = Future.succeededFuture();
    for (PaymentEvents.Expected e : missing) {
      chain = chain.compose(v -> eventStore.append(aggregate, e.version(), e.type(), e.payload()).<Void>mapEmpty()
          .recover(err -> err instanceof EventVersionConflictException ? appendedMeanwhile(aggregate, e, err)
              : Future.failedFuture(err)));
    }
    return chain;
  }

  /**
   * Records the provider transfer a payment created, as soon as it exists (the saga's own update records it again
   * on success); a reference already recorded is kept. {@code outcomeKnown}: the saga learns the transfer's final
   * status with this reference, so the settlement webhook need not signal it ({@link #unfinishedByProviderReference}).
   */
  public Future<Void> recordProviderReference(String paymentId, String reference, boolean outcomeKnown) {
    UUID uuid = uuid(paymentId);
    if (uuid == null || reference == null) return Future.succeededFuture();
    // One statement: the row's column and the webhook's lookup by reference never disagree.
    return pool.preparedQuery("WITH recorded AS (UPDATE payments SET provider_reference = $2 WHERE id = $1 "
        + "AND provider_reference IS NULL RETURNING id), indexed AS (INSERT INTO payment_provider_references "
        + "(provider_reference, payment_id, outcome_known) SELECT $2, id, $3 FROM recorded "
        + "ON CONFLICT (provider_reference) DO NOTHING) SELECT id FROM recorded")
        .execute(Tuple.of(uuid, reference, outcomeKnown))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture() : changed(paymentId));
  }

  @Override
  public Future<Void> record(String paymentId, String reference, boolean outcomeKnown) {
    return recordProviderReference(paymentId, reference, outcomeKnown);
  }

  /**
   * One statement, so that it and {@link #fence} exclude each other on the row: the first authorization recorded
   * stays (the payment's idempotency key makes it the same one every time), and a fenced payment takes none.
   */
  @Override
  public Future<Boolean> sending(String paymentId, String authorizationId) {
    UUID uuid = uuid(paymentId);
    if (uuid == null || authorizationId == null) return Future.succeededFuture(false);
    return pool.preparedQuery("UPDATE payments SET provider_authorization = $2 WHERE id = $1 "
            + "AND (provider_authorization IS NULL OR provider_authorization = $2) RETURNING id")
        .execute(Tuple.of(uuid, authorizationId)).map(rows -> rows.size() == 1);
  }

  @Override
  public Future<ProviderActivitiesImpl.Recorded> fence(String paymentId) {
    UUID uuid = uuid(paymentId);
    if (uuid == null) return Future.succeededFuture(new ProviderActivitiesImpl.Recorded(null, null));
    return pool.preparedQuery("UPDATE payments SET provider_authorization = coalesce(provider_authorization, $2) "
            + "WHERE id = $1 RETURNING provider_reference, provider_authorization")
        .execute(Tuple.of(uuid, ProviderActivitiesImpl.NO_CREATE)).map(rows -> {
          if (rows.size() == 0) return new ProviderActivitiesImpl.Recorded(null, null);
          Row r = rows.iterator().next();
          String authorization = r.getString(1);
          return new ProviderActivitiesImpl.Recorded(r.getString(0),
              ProviderActivitiesImpl.NO_CREATE.equals(authorization) ? null : authorization);
        });
  }

  /** Every payment whose provider transfer is {@code reference}, ended or not (a refund's events come later). */
  public Future<List<String>> byProviderReference(String reference) {
    return pool.preparedQuery("SELECT payment_id::text FROM payment_provider_references WHERE provider_reference = $1")
        .execute(Tuple.of(reference)).map(rows -> {
          List<String> out = new ArrayList<>();
          for (Row r : rows) out.add(r.getString(0));
          return out;
        });
  }

  /**
   * Publishes {@code provider.transfer.updated} through the outbox: the provider says a payment's transfer changed.
   * The aggregate is the transfer, so one transfer's events keep their order.
   */
  public Future<Void> publishProviderTransferUpdated(String paymentId, String transferId, JsonObject payload) {
    return events.publishAlone(pool, NewEvent.of(PROVIDER_TRANSFER_UPDATED, "provider-transfer:" + transferId, SOURCE,
        payload.copy().put("payment_id", paymentId))).mapEmpty();
  }

  /** An unfinished payment a provider transfer belongs to; {@code outcomeKnown}: its saga had the final status. */
  public record ReferencedPayment(String id, boolean outcomeKnown) {}

  /** The unfinished payments whose provider transfer is {@code reference} (at most one in practice). */
  public Future<List<ReferencedPayment>> unfinishedByProviderReference(String reference) {
    return pool.preparedQuery("SELECT p.id::text, r.outcome_known FROM payment_provider_references r JOIN payments p "
        + "ON p.id = r.payment_id WHERE r.provider_reference = $1 "
        + "AND p." + NOT_TERMINAL).execute(Tuple.of(reference)).map(rows -> {
          List<ReferencedPayment> out = new ArrayList<>();
          for (Row r : rows) out.add(new ReferencedPayment(r.getString(0), r.getBoolean(1)));
          return out;
        });
  }

  /**
   * Whether {@code owner} has a payment on link {@code linkedAccountId} that has not ended: its saga may still need
   * the link's access token (to create the provider transfer, or to look up one whose create went unanswered).
   */
  public Future<Boolean> linkInUse(String owner, String linkedAccountId) {
    return pool.preparedQuery("SELECT EXISTS (SELECT 1 FROM payments WHERE owner = $1 AND linked_account_id = $2 "
        + "AND " + NOT_TERMINAL + ")").execute(Tuple.of(owner, linkedAccountId))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  /** How many payments are in each status (the console and the {@code ledgerline_payments} gauge). */
  public Future<java.util.Map<PaymentStatus, Long>> countByStatus() {
    return pool.query("SELECT status, count(*) AS n FROM payments GROUP BY status").execute().map(rows -> {
      java.util.Map<PaymentStatus, Long> out = new java.util.EnumMap<>(PaymentStatus.class);
      for (PaymentStatus s : PaymentStatus.values()) out.put(s, 0L);
      for (Row r : rows) out.put(PaymentStatus.fromWire(r.getString("status")), r.getLong("n"));
      return out;
    });
  }

  /** Where the provider event sync named {@code name} has read up to (0: from the start). */
  public Future<Long> eventCursor(String name) {
    return pool.preparedQuery("SELECT after_id FROM provider_event_cursors WHERE name = $1").execute(Tuple.of(name))
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong(0));
  }

  /** Moves the cursor forward to {@code afterId}; never back (another node may have read further). */
  public Future<Void> saveEventCursor(String name, long afterId) {
    return pool.preparedQuery("INSERT INTO provider_event_cursors (name, after_id) VALUES ($1, $2) "
        + "ON CONFLICT (name) DO UPDATE SET after_id = greatest(provider_event_cursors.after_id, excluded.after_id), "
        + "updated_at = now()").execute(Tuple.of(name, afterId)).mapEmpty();
  }

  /** Ids of the payments that are not terminal, oldest first: what a re-drive starts again. */
  public Future<List<String>> unfinished() {
    return pool.query("SELECT id::text FROM payments WHERE " + NOT_TERMINAL + " ORDER BY id").execute()
        .map(rows -> {
          List<String> out = new ArrayList<>();
          for (Row r : rows) out.add(r.getString(0));
          return out;
        });
  }

  /**
   * Applies one of the saga's updates: the row's status, the step appended, the provider reference and failure
   * reason when the update carries them, and {@code payment.updated}; then, with an event store, the update's event
   * (see {@link #syncEvents}). An update already applied (same event id) is not applied again, but its event is still
   * appended if missing, so the saga's retries apply it once and a crash after the row loses no event.
   */
  public Future<Void> record(PaymentUpdate u) {
    return record(List.of(u));
  }

  /**
   * Applies several updates of one payment, in their order, in one PostgreSQL transaction (the saga coalesces the
   * state changes made while the previous write was under way); then drops the cache entry and appends the events
   * once. Each update is applied once by its event id, as {@link #record(PaymentUpdate)} does.
   */
  public Future<Void> record(List<PaymentUpdate> updates) {
    if (updates.isEmpty()) return Future.succeededFuture();
    String paymentId = updates.get(0).paymentId();
    for (PaymentUpdate u : updates) {
      if (!u.paymentId().equals(paymentId)) {
        return Future.failedFuture(new IllegalArgumentException("updates of more than one payment"));
      }
    }
    return pool.withTransaction(conn -> {
      Future<Void> applied = Future.succeededFuture();
      for (PaymentUpdate u : updates) {
        applied = applied.compose(v -> apply(conn, u));
      }
      return applied;
    }).compose(v -> changed(paymentId)).compose(v -> syncEvents(paymentId));
  }

  private Future<Void> apply(SqlConnection conn, PaymentUpdate u) {
    UUID paymentId = UUID.fromString(u.paymentId());
    UUID eventId = UUID.fromString(u.eventId());
    Map<String, String> detail = u.detail() == null ? Map.of() : u.detail();
    JsonObject step = new JsonObject().put("event_id", u.eventId()).put("event", u.event())
        .put("status", u.status().wireName())
        .put("step", u.step()).put("at", Instant.ofEpochMilli(u.atMillis()).toString())
        .put("detail", new JsonObject(new LinkedHashMap<>(detail)));
    return conn.preparedQuery("INSERT INTO payment_updates (event_id, payment_id) "
            + "VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING RETURNING event_id")
        .execute(Tuple.of(eventId, paymentId))
        .compose(fresh -> fresh.size() == 0 ? Future.succeededFuture() : conn.preparedQuery("UPDATE payments SET "
                + "status = $2, steps = steps || jsonb_build_array($3::jsonb), "
                + "provider_reference = coalesce($4, provider_reference), "
                + "failure_reason = coalesce(failure_reason, $5), version = version + 1, updated_at = now() "
                + "WHERE id = $1 RETURNING " + COLUMNS)
            .execute(Tuple.of(paymentId, u.status().wireName(), step, detail.get("provider_reference"),
                failureReason(u, detail)))
            .compose(rows -> {
              Payment p = payment(rows.iterator().next());
              Future<Void> history = events.publish(conn, new NewEvent(eventId, "payment.updated",
                  Instant.ofEpochMilli(u.atMillis()), u.paymentId(), u.eventId(), SOURCE,
                  AGGREGATE_PREFIX + u.paymentId(), step.copy().put("payment_id", u.paymentId()))).mapEmpty();
              // Search and cache learn the outcome, and that an operator is needed; steps in between are history.
              // A completion's snapshot, with the balances, was published by update-balance just before.
              boolean outcome = p.status() != PaymentStatus.COMPLETED
                  && (p.status().terminal() || p.status() == PaymentStatus.NEEDS_ATTENTION);
              return outcome ? history.compose(v -> publish(conn, paymentId, "transaction.updated",
                  snapshot(p, p.status()))) : history;
            })
            .mapEmpty());
  }

  /**
   * Publishes {@code transaction.updated} for a payment as {@code status}, with the payer's balances (step 5 and its
   * compensation). It takes a new version, so search and cache never drop it as a repeat.
   */
  public Future<Void> publishUpdated(String paymentId, PaymentStatus status, JsonObject balances) {
    UUID id = UUID.fromString(paymentId);
    return pool.withTransaction(conn -> conn.preparedQuery("UPDATE payments SET version = version + 1, "
            + "updated_at = now() WHERE id = $1 RETURNING " + COLUMNS).execute(Tuple.of(id))
        .compose(rows -> publish(conn, id, "transaction.updated",
            snapshot(payment(rows.iterator().next()), status).put("balances", balances))))
        .compose(v -> changed(paymentId));
  }

  /**
   * Publishes every payment's current snapshot as {@code transaction.updated} in {@code conn}'s transaction, a
   * thousand per statement ({@code ledgerline reindex}, after it removed the payments' search rows); the count.
   */
  public Future<Integer> republishSnapshots(SqlConnection conn) {
    return conn.query("SELECT " + COLUMNS + " FROM payments ORDER BY id").execute().compose(rows -> {
      List<NewEvent> all = new ArrayList<>();
      for (Row r : rows) {
        Payment p = payment(r);
        UUID id = UUID.fromString(p.id());
        all.add(NewEvent.of("transaction.updated", AGGREGATE_PREFIX + id, SOURCE, snapshot(p, p.status()))
            .causedBy(p.id(), p.id()));
      }
      Future<Void> chain = Future.succeededFuture();
      for (int from = 0; from < all.size(); from += 1000) {
        List<NewEvent> part = all.subList(from, Math.min(all.size(), from + 1000));
        chain = chain.compose(v -> events.publishAll(conn, part).mapEmpty());
      }
      return chain.map(all.size());
    });
  }

  /** The payment as a {@code transaction.updated} payload (the shape {@code TransactionSnapshot} reads). */
  static JsonObject snapshot(Payment p, PaymentStatus status) {
    JsonObject s = new JsonObject().put("id", p.id()).put("version", p.version()).put("kind", "payment")
        .put("status", status.wireName()).put("account_ids", new JsonArray().add(p.fromAccountId()))
        .put("amount", p.amount()).put("ledger", p.ledger()).put("code", p.code())
        .put("created_at", p.createdAt().toString()).put("updated_at", p.updatedAt().toString());
    if (p.description() != null) s.put("description", p.description());
    if (p.metadata() != null) s.put("metadata", p.metadata());
    if (p.providerReference() != null) s.put("provider_reference", p.providerReference());
    return s;
  }

  /**
   * The reason the payment did not complete; the first one recorded stays (a re-driven run's reason does not replace
   * it), and a compensation's own failure (needs_attention) is only a step.
   */
  private static String failureReason(PaymentUpdate u, Map<String, String> detail) {
    return "CompensationStarted".equals(u.event()) || "PaymentFailed".equals(u.event()) ? detail.get("reason") : null;
  }

  private Future<Void> publish(SqlConnection conn, UUID paymentId, String type, JsonObject payload) {
    NewEvent e = NewEvent.of(type, AGGREGATE_PREFIX + paymentId, SOURCE, payload)
        .causedBy(paymentId.toString(), paymentId.toString());
    return events.publish(conn, e).mapEmpty();
  }

  /**
   * {@code transaction.created}: {@code id} is what starts the workflow; the rest describes the payment, and
   * {@code traceparent} (when the request was traced) the trace the saga joins.
   */
  private static JsonObject created(Payment p, String traceparent) {
    JsonObject created = new JsonObject().put("id", p.id()).put("owner", p.owner()).put("status", p.status().wireName())
        .put("from_account_id", p.fromAccountId()).put("amount", p.amount()).put("ledger", p.ledger())
        .put("code", p.code()).put("provider", p.provider()).put("linked_account_id", p.linkedAccountId())
        .put("description", p.description()).put("metadata", p.metadata());
    if (traceparent != null) created.put(TraceContext.TRACEPARENT, traceparent);
    return created;
  }

  static Payment payment(Row r) {
    Object meta = r.getValue("metadata");
    Object steps = r.getValue("steps");
    return new Payment(r.getString("id"), r.getString("owner"), PaymentStatus.fromWire(r.getString("status")),
        r.getString("from_account_id"), r.getString("amount"), r.getLong("ledger"), r.getInteger("code"),
        r.getString("provider"), r.getString("linked_account_id"), r.getString("description"),
        meta instanceof JsonObject m ? m : null, r.getBoolean("cancel_requested"), r.getString("provider_reference"),
        r.getString("failure_reason"), steps instanceof JsonArray a ? a : new JsonArray(), r.getLong("version"),
        r.getOffsetDateTime("created_at").toInstant(), r.getOffsetDateTime("updated_at").toInstant());
  }

  private static UUID uuid(String id) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
