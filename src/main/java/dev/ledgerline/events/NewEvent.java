package dev.ledgerline.events;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.UUID;

/**
 * An event as its publisher hands it over. The per-aggregate sequence is assigned when it is published.
 *
 * @param id UUIDv7, made by {@link #of}
 * @param occurredAt the publisher's time of the fact (kept as data; delivery order never depends on it)
 * @param correlationId the id shared by everything one request caused
 * @param causationId the id of the message or event that caused this one
 * @param source the component that published it
 */
public record NewEvent(UUID id, String type, Instant occurredAt, String correlationId, String causationId,
    String source, String aggregateId, JsonObject payload) {

  public NewEvent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(occurredAt, "occurredAt");
    Objects.requireNonNull(correlationId, "correlationId");
    Objects.requireNonNull(causationId, "causationId");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(aggregateId, "aggregateId");
    Objects.requireNonNull(payload, "payload");
    // PostgreSQL keeps microseconds: the published event equals the one consumers read back.
    occurredAt = occurredAt.truncatedTo(ChronoUnit.MICROS);
  }

  /** A new event with a fresh id; it is its own correlation and causation until {@link #causedBy} says otherwise. */
  public static NewEvent of(String type, String aggregateId, String source, JsonObject payload) {
    UUID id = Uuid7.next();
    return new NewEvent(id, type, Instant.now(), id.toString(), id.toString(), source, aggregateId, payload);
  }

  public NewEvent causedBy(String correlationId, String causationId) {
    return new NewEvent(id, type, occurredAt, correlationId, causationId, source, aggregateId, payload);
  }
}
