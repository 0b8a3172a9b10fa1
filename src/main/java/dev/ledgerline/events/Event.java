package dev.ledgerline.events;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * A published event as consumers and subscribers get it: the publisher's metadata plus its place in its aggregate's
 * sequence (1, 2, 3, ... without gaps: a rolled-back publish takes no number).
 */
public record Event(UUID id, String type, Instant occurredAt, String correlationId, String causationId,
    String source, String aggregateId, long sequence, JsonObject payload) {

  /** The same event with a copy of its payload, for a consumer that must not see another one's changes. */
  public Event withPayloadCopy() {
    return new Event(id, type, occurredAt, correlationId, causationId, source, aggregateId, sequence, payload.copy());
  }

  /** The form published on the event bus. */
  public JsonObject toJson() {
    return new JsonObject().put("id", id.toString()).put("type", type).put("occurredAt", occurredAt.toString())
        .put("correlationId", correlationId).put("causationId", causationId).put("source", source)
        .put("aggregateId", aggregateId).put("sequence", sequence).put("payload", payload);
  }

  public static Event fromJson(JsonObject j) {
    return new Event(UUID.fromString(j.getString("id")), j.getString("type"), Instant.parse(j.getString("occurredAt")),
        j.getString("correlationId"), j.getString("causationId"), j.getString("source"), j.getString("aggregateId"),
        j.getLong("sequence"), j.getJsonObject("payload"));
  }

  /** From an {@code events_outbox} or {@code events_dead} row. */
  static Event fromRow(Row r) {
    Object payload = r.getValue("payload");
    return new Event(r.getUUID("event_id"), r.getString("event_type"),
        r.getOffsetDateTime("occurred_at").toInstant(), r.getString("correlation_id"), r.getString("causation_id"),
        r.getString("source"), r.getString("aggregate_id"), r.getLong("aggregate_seq"),
        payload instanceof JsonObject o ? o : new JsonObject(String.valueOf(payload)));
  }

  static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }
}
