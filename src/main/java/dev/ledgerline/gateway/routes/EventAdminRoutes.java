package dev.ledgerline.gateway.routes;

import dev.ledgerline.events.DeadEvent;
import dev.ledgerline.events.DeadEventException;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.OutboxRelay;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.FieldError;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/admin/events/dead...}: the events the relay parked after {@code events.max-attempts}, and their
 * redelivery. A redelivery goes to the parked event's consumer on this node (every relaying node runs the same
 * consumers); consumers dedupe by event id, so a repeated or concurrent retry changes nothing more.
 */
public final class EventAdminRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(EventAdminRoutes.class);
  public static final String PATH = "/v1/admin/events/dead";
  public static final String TYPE_REDELIVERY_REFUSED = "urn:ledgerline:problem:redelivery-refused";
  public static final String TYPE_REDELIVERY_FAILED = "urn:ledgerline:problem:redelivery-failed";
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;
  private static final Set<String> LIST_PARAMS = Set.of("consumer", "cursor", "limit");
  private static final Pattern ID = Pattern.compile("^[1-9][0-9]{0,18}$");
  private static final String CURSOR_PREFIX = "dead:";

  private final OutboxRelay relay;

  public EventAdminRoutes(OutboxRelay relay) {
    this.relay = relay;
  }

  /** GET the parked events, oldest first: {@code consumer}, {@code cursor} (opaque), {@code limit} (1 to 500). */
  public Handler<RoutingContext> list() {
    return answer(rc -> {
      QueryParams q = QueryParams.strict(rc.queryParams(), LIST_PARAMS,
          "unknown query parameter; the list takes consumer, cursor, limit");
      String consumer = q.get("consumer");
      if (consumer != null && (consumer.isEmpty() || consumer.length() > EventPublisher.MAX_ID_LENGTH
          || consumer.chars().anyMatch(c -> c < 0x20 || c == 0x7f))) {
        q.error("consumer", "must be 1 to " + EventPublisher.MAX_ID_LENGTH + " characters without control characters");
      }
      int limit = q.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
      Long decoded = q.cursor("cursor", EventAdminRoutes::decodeCursor, "is not a cursor of this list");
      long after = decoded == null ? 0 : decoded;
      List<FieldError> errors = q.errors();
      if (!errors.isEmpty()) {
        return Future.succeededFuture(Reply.problem(Problem.validation(errors)
            .withDetail("the query has " + errors.size() + " invalid parameter" + (errors.size() == 1 ? "" : "s"))));
      }
      int pageSize = limit;
      // One more than asked: whether a next page exists without a second query.
      return relay.dead(consumer, after, pageSize + 1).map(found -> {
        JsonArray data = new JsonArray();
        for (DeadEvent d : found.subList(0, Math.min(pageSize, found.size()))) data.add(toJson(d));
        JsonObject out = new JsonObject().put("data", data);
        if (found.size() > pageSize) out.put("next_cursor", encodeCursor(found.get(pageSize - 1).id()));
        return Reply.json(200, out.toBuffer());
      });
    });
  }

  /**
   * POST: redelivers one parked event to its consumer. 200 once delivered (it leaves the list); 404 when no such event
   * is parked (unknown, or already redelivered); 409 when an earlier event of its aggregate is parked for the same
   * consumer, or when the consumer fails again (the event stays parked with the new error).
   */
  public Handler<RoutingContext> retry() {
    return answer(rc -> {
      String raw = rc.pathParam("id");
      long id;
      try {
        if (raw == null || !ID.matcher(raw).matches()) throw new NumberFormatException();
        id = Long.parseLong(raw); // 19 digits may still exceed a long
      } catch (NumberFormatException e) {
        return Future.succeededFuture(Reply.problem(Problem.validation(List.of(new FieldError("id",
            "must be the decimal id of a parked event (1 to 9223372036854775807)")))
            .withDetail("the path's id is not a parked event's id")));
      }
      return relay.redeliver(id).map(v -> Reply.json(200, new JsonObject().put("id", Long.toString(id))
          .put("redelivered", true).toBuffer()));
    });
  }

  static JsonObject toJson(DeadEvent d) {
    return new JsonObject().put("id", Long.toString(d.id())).put("consumer", d.consumer())
        .put("attempts", d.attempts()).put("error", d.error()).put("parked_at", d.parkedAt().toString())
        .put("event", d.event().toJson());
  }

  static String encodeCursor(long lastId) {
    return QueryParams.encodeSequence(CURSOR_PREFIX, lastId);
  }

  /** The id a cursor continues after, or null when it is not exactly a cursor this list handed out. */
  static Long decodeCursor(String cursor) {
    return QueryParams.decodeSequence(CURSOR_PREFIX, cursor);
  }

  private static Handler<RoutingContext> answer(Function<RoutingContext, Future<Reply>> route) {
    return Answers.answer(route, e -> Answers.problem(problem(e)));
  }

  private static Problem problem(Throwable e) {
    if (e instanceof DeadEventException d) {
      return switch (d.reason()) {
        case NOT_FOUND -> Problem.of(404, "no such parked event (it may have been redelivered already)");
        case EARLIER_EVENT_PARKED -> Problem.of(409, d.getMessage()).withType(TYPE_REDELIVERY_REFUSED)
            .withTitle("Earlier event parked");
        case UNKNOWN_CONSUMER -> Problem.of(409, d.getMessage()).withType(TYPE_REDELIVERY_REFUSED)
            .withTitle("Consumer not running");
        // The consumer's own error stays in the list (an operator's view); the caller learns it failed again.
        case DELIVERY_FAILED -> Problem.of(409, "the consumer failed again; the event stays parked with the new "
            + "error").withType(TYPE_REDELIVERY_FAILED).withTitle("Redelivery failed");
      };
    }
    LOG.warn("parked events: {}", e.toString());
    return Problem.of(503, "the event store cannot be reached right now; retry");
  }
}
