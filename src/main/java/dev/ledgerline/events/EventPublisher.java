package dev.ledgerline.events;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventRejectedException.Reason;
import dev.ledgerline.infra.postgres.ArrayColumns;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes events to the outbox inside the caller's PostgreSQL transaction: the event exists exactly when the caller's
 * change commits. A relay ({@link OutboxRelay}) delivers it after the commit.
 *
 * <p>Publishing locks the aggregate's sequence row until the caller's transaction ends: publishers of one aggregate
 * take turns (that is what makes its sequence gapless and its order the commit order); other aggregates do not wait.
 * A transaction that publishes for several aggregates should take them in one order (sorted ids), or two such
 * transactions can deadlock and one of them is aborted by PostgreSQL.
 */
public final class EventPublisher {
  /** Longest aggregate id, correlation id, causation id and source accepted. */
  public static final int MAX_ID_LENGTH = 200;

  // The aggregate's row hands out the next sequence and carries the order key forward: order_xid is never below the
  // one of the aggregate's previous event, so the relay's (order_xid, position) order keeps the sequence order even
  // when this transaction's id is older than the previous publisher's.
  private static final String INSERT = """
      WITH agg AS (
        INSERT INTO events_aggregates AS a (aggregate_id, last_seq, last_order)
        VALUES ($1::text, 1, pg_current_xact_id()::text::bigint)
        ON CONFLICT (aggregate_id) DO UPDATE
          SET last_seq = a.last_seq + 1, last_order = greatest(a.last_order, pg_current_xact_id()::text::bigint)
        RETURNING last_seq, last_order)
      INSERT INTO events_outbox (order_xid, event_id, event_type, aggregate_id, aggregate_seq, occurred_at,
          correlation_id, causation_id, source, payload)
      SELECT agg.last_order, $2::uuid, $3::text, $1::text, agg.last_seq, $4::timestamptz, $5::text, $6::text,
          $7::text, $8::jsonb
      FROM agg
      RETURNING aggregate_seq""";

  // The same for several events in one statement: each aggregate's row is taken once (in id order, so two such
  // statements cannot deadlock on each other), moved on by its event count, and the events numbered in input order.
  private static final String INSERT_ALL = """
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
            $7::text[], $8::text[])
          WITH ORDINALITY AS t(aggregate_id, event_id, event_type, occurred_at, correlation_id, causation_id, source,
            payload, ord)),
      counts AS (SELECT aggregate_id, count(*) AS n FROM input GROUP BY aggregate_id),
      agg AS (
        INSERT INTO events_aggregates AS a (aggregate_id, last_seq, last_order)
        SELECT aggregate_id, n, pg_current_xact_id()::text::bigint FROM counts ORDER BY aggregate_id
        ON CONFLICT (aggregate_id) DO UPDATE
          SET last_seq = a.last_seq + excluded.last_seq, last_order = greatest(a.last_order, excluded.last_order)
        RETURNING aggregate_id, last_seq, last_order)
      INSERT INTO events_outbox (order_xid, event_id, event_type, aggregate_id, aggregate_seq, occurred_at,
          correlation_id, causation_id, source, payload)
      SELECT agg.last_order, i.event_id, i.event_type, i.aggregate_id,
          agg.last_seq - c.n + row_number() OVER (PARTITION BY i.aggregate_id ORDER BY i.ord), i.occurred_at,
          i.correlation_id, i.causation_id, i.source, i.payload::jsonb
      FROM input i JOIN counts c USING (aggregate_id) JOIN agg USING (aggregate_id)
      ORDER BY i.ord
      RETURNING event_id, aggregate_seq""";

  private final EventTypes types;
  private final int maxPayloadBytes;

  public EventPublisher(EventTypes types, int maxPayloadBytes) {
    this.types = types;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  public static EventPublisher create(LedgerlineConfig config) {
    return new EventPublisher(EventTypes.KNOWN, config.events().maxPayloadBytes());
  }

  /**
   * Adds {@code event} to the outbox in {@code tx}, a connection with an open transaction. Fails with
   * {@link EventRejectedException} before writing anything when the event is refused; any database failure fails the
   * caller's transaction, as it should: the change and its event commit together or not at all.
   */
  public Future<Event> publish(SqlConnection tx, NewEvent event) {
    return insert(tx, event);
  }

  /**
   * Adds {@code event} to the outbox in a transaction of its own (the insert is one statement): for an event that is
   * the whole change, with nothing to commit beside it. Spares the two round trips of an explicit transaction.
   */
  public Future<Event> publishAlone(Pool pool, NewEvent event) {
    return insert(pool, event);
  }

  private Future<Event> insert(SqlClient tx, NewEvent event) {
    try {
      validate(event);
    } catch (EventRejectedException e) {
      return Future.failedFuture(e);
    }
    return tx.preparedQuery(INSERT).execute(Tuple.from(new Object[] {event.aggregateId(), event.id(), event.type(),
            Event.utc(event.occurredAt()), event.correlationId(), event.causationId(), event.source(),
            event.payload()}))
        .map(rows -> new Event(event.id(), event.type(), event.occurredAt(), event.correlationId(),
            event.causationId(), event.source(), event.aggregateId(), rows.iterator().next().getLong(0),
            event.payload()));
  }

  /**
   * Adds several events to the outbox in {@code tx} with one statement: the same as publishing them one by one in
   * list order (an aggregate's events get consecutive sequence numbers in that order), in one round trip. Any refused
   * event refuses them all before anything is written. The result is in list order.
   */
  public Future<List<Event>> publishAll(SqlConnection tx, List<NewEvent> events) {
    if (events.isEmpty()) return Future.succeededFuture(List.of());
    try {
      events.forEach(this::validate);
    } catch (EventRejectedException e) {
      return Future.failedFuture(e);
    }
    int n = events.size();
    Tuple columns = Tuple.of(ArrayColumns.of(events, NewEvent::aggregateId, String[]::new),
        ArrayColumns.of(events, NewEvent::id, UUID[]::new), ArrayColumns.of(events, NewEvent::type, String[]::new),
        ArrayColumns.of(events, e -> Event.utc(e.occurredAt()), OffsetDateTime[]::new),
        ArrayColumns.of(events, NewEvent::correlationId, String[]::new),
        ArrayColumns.of(events, NewEvent::causationId, String[]::new),
        ArrayColumns.of(events, NewEvent::source, String[]::new),
        ArrayColumns.of(events, e -> e.payload().encode(), String[]::new));
    return tx.preparedQuery(INSERT_ALL).execute(columns)
        .map(rows -> {
          Map<UUID, Long> sequences = new HashMap<>(n * 2);
          for (Row r : rows) sequences.put(r.getUUID(0), r.getLong(1));
          List<Event> out = new ArrayList<>(n);
          for (NewEvent e : events) {
            out.add(new Event(e.id(), e.type(), e.occurredAt(), e.correlationId(), e.causationId(), e.source(),
                e.aggregateId(), sequences.get(e.id()), e.payload()));
          }
          return out;
        });
  }

  /** The checks every event passes before it is written; also used by the ledger event store. */
  void validate(NewEvent event) {
    if (!types.known(event.type())) {
      throw new EventRejectedException(Reason.UNKNOWN_TYPE, "unknown event type: " + event.type());
    }
    checkId("aggregateId", event.aggregateId());
    checkId("correlationId", event.correlationId());
    checkId("causationId", event.causationId());
    checkId("source", event.source());
    checkPayload(event.payload(), maxPayloadBytes);
  }

  static void checkPayload(JsonObject payload, int maxPayloadBytes) {
    String json;
    try {
      json = payload.encode();
    } catch (RuntimeException e) {
      throw new EventRejectedException(Reason.INVALID, "payload is not JSON: " + e.getMessage());
    }
    // PostgreSQL's jsonb cannot hold a NUL character: refuse it here rather than fail inside the caller's transaction.
    if (json.contains("\\u0000")) throw new EventRejectedException(Reason.INVALID, "payload contains a NUL character");
    int bytes = json.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxPayloadBytes) {
      throw new EventRejectedException(Reason.PAYLOAD_TOO_LARGE,
          "payload of " + bytes + " bytes exceeds events.max-payload-bytes = " + maxPayloadBytes);
    }
  }

  private static void checkId(String field, String value) {
    if (value.isEmpty() || value.length() > MAX_ID_LENGTH || value.chars().anyMatch(c -> c < 0x20)) {
      throw new EventRejectedException(Reason.INVALID,
          field + " must be 1 to " + MAX_ID_LENGTH + " characters without control characters");
    }
  }
}
