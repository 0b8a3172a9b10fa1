package dev.ledgerline.gateway.routes;

import dev.ledgerline.events.webhooks.WebhookEndpoints;
import dev.ledgerline.events.webhooks.WebhookEndpoints.Created;
import dev.ledgerline.events.webhooks.WebhookEndpoints.Delivery;
import dev.ledgerline.events.webhooks.WebhookEndpoints.Endpoint;
import dev.ledgerline.events.webhooks.WebhookUrlException;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.Refused;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.idempotency.Idempotent;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.gateway.json.StrictJson;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/webhooks...}: register, list, read and delete outbound webhook endpoints, rotate an endpoint's secret,
 * read its delivery log and send a delivery again (docs/webhooks.md). Strictly the owner's: another subject's
 * endpoint is 404 for everyone, operators and admins too (an endpoint holds its owner's secret). The secret is in the
 * answer of the creation and of a rotation only, and never in the idempotency store: a creation retried with the same
 * {@code Idempotency-Key} finds the endpoint made the first time (its id is derived from the key) and answers it again
 * with its current secret.
 */
public final class WebhookRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookRoutes.class);
  public static final String PATH = "/v1/webhooks";
  public static final String CREATE = "POST " + PATH;
  public static final String TYPE_URL_REFUSED = "urn:ledgerline:problem:webhook-url-refused";
  public static final String TYPE_LIMIT = "urn:ledgerline:problem:webhook-endpoint-limit";
  public static final String TYPE_DISABLED = "urn:ledgerline:problem:webhook-endpoint-disabled";
  static final int MAX_EVENTS = 16;
  static final int DEFAULT_LIMIT = 50;
  private static final Set<String> FIELDS = Set.of("url", "events");
  private static final Set<String> LIST_PARAMS = Set.of("cursor", "limit");
  private static final String ENDPOINT_CURSOR = "w:";
  private static final String DELIVERY_CURSOR = "d:";
  private static final Pattern DELIVERY_ID = Pattern.compile("[1-9][0-9]{0,18}");

  /** Null when the vault is not configured on this node: every route then answers 503. */
  private final WebhookEndpoints endpoints;

  public WebhookRoutes(WebhookEndpoints endpoints) {
    this.endpoints = endpoints;
  }

  /** POST: 201 with the endpoint and its secret. */
  public Future<Reply> create(RoutingContext rc, Principal p, String key) {
    return Answers.replying(() -> {
      WebhookEndpoints e = available();
      Request request = request(rc.body().buffer());
      // With a key, the id is derived from it: a retry finds the endpoint its first attempt made.
      UUID id = key == null ? UUID.randomUUID() : DerivedIds.uuid(CREATE, p.subject(), key);
      return e.create(id, p.subject(), Access.privileged(p), request.url(), request.events()).map(created -> {
        rc.response().putHeader("Location", PATH + "/" + id);
        // Not kept by the idempotency store: it would hold the secret; a retry finds the endpoint instead.
        return Reply.json(201, createdJson(created).toBuffer()).notKept();
      });
    }, WebhookRoutes::reply);
  }

  /** GET the caller's endpoints, oldest first: {@code limit} (1-100, default 50) and {@code cursor}. */
  public Handler<RoutingContext> list() {
    return answer(rc -> {
      WebhookEndpoints e = available();
      Paging page = paging(rc, ENDPOINT_CURSOR);
      return e.list(Principal.of(rc).subject(), page.after(), page.limit()).map(found -> Reply.json(200,
          QueryParams.page(found.items(), WebhookRoutes::endpointJson, found.nextAfter(), ENDPOINT_CURSOR)
              .toBuffer()));
    });
  }

  public Handler<RoutingContext> get() {
    return answer(rc -> {
      WebhookEndpoints e = available();
      return e.find(Principal.of(rc).subject(), id(rc)).map(found -> Reply.json(200,
          endpointJson(found.orElseThrow(Answers::notFound)).toBuffer()));
    });
  }

  /** DELETE: the endpoint, its delivery log and its secrets; 204. */
  public Handler<RoutingContext> delete() {
    return answer(rc -> {
      WebhookEndpoints e = available();
      return e.delete(Principal.of(rc).subject(), id(rc)).map(deleted -> {
        if (!deleted) {
          throw Answers.notFound();
        }
        return new Reply(204, Reply.JSON, Buffer.buffer(), true, 0);
      });
    });
  }

  /** POST rotate-secret (no body): 200 with the new secret; the previous one signs too during the grace period. */
  public Handler<RoutingContext> rotate() {
    return answer(rc -> {
      WebhookEndpoints e = available();
      UUID id = id(rc);
      return e.rotate(Principal.of(rc).subject(), id).map(found -> {
        Created c = found.orElseThrow(Answers::notFound);
        return Reply.json(200, createdJson(c).toBuffer()).notKept();
      });
    });
  }

  /** GET the endpoint's delivery log, newest first: {@code limit} (1-100, default 50) and {@code cursor}. */
  public Handler<RoutingContext> deliveries() {
    return answer(rc -> {
      WebhookEndpoints e = available();
      UUID id = id(rc);
      Paging page = paging(rc, DELIVERY_CURSOR);
      return e.deliveries(Principal.of(rc).subject(), id, page.after(), page.limit()).map(found -> {
        var log = found.orElseThrow(Answers::notFound);
        return Reply.json(200, QueryParams.page(log.items(), WebhookRoutes::deliveryJson, log.nextAfter(),
            DELIVERY_CURSOR).toBuffer());
      });
    });
  }

  /** POST retry (no body): the delivery is due again at once; 202 with its row. */
  public Handler<RoutingContext> retry() {
    return answer(rc -> {
      WebhookEndpoints e = available();
      UUID id = id(rc);
      String raw = rc.pathParam("delivery_id");
      if (raw == null || !DELIVERY_ID.matcher(raw).matches()) {
        throw new InvalidRequestException(List.of(new FieldError("delivery_id", "is not a delivery id (a positive"
            + " decimal)")));
      }
      long deliveryId = Long.parseLong(raw);
      return e.retry(Principal.of(rc).subject(), id, deliveryId).map(found -> Reply.json(202,
          deliveryJson(found.orElseThrow(Answers::notFound)).toBuffer()).notKept());
    });
  }

  /** A list's page: at most {@code limit} items after the position {@code after} (0 = from the start). */
  record Paging(int limit, long after) {}

  /** {@code limit} (1-100, default 50) and {@code cursor} of the list whose cursors start with {@code prefix}. */
  private static Paging paging(RoutingContext rc, String prefix) {
    QueryParams q = QueryParams.strict(rc.queryParams(), LIST_PARAMS);
    int limit = q.integer("limit", DEFAULT_LIMIT, 1, WebhookEndpoints.MAX_PAGE);
    Long after = q.cursor("cursor", c -> QueryParams.decodeSequence(prefix, c), "is not a cursor of this API");
    q.requireValid();
    return new Paging(limit, after == null ? 0 : after);
  }

  /** The body of a creation. */
  record Request(String url, List<String> events) {}

  /** Reads {@code {"url": "...", "events": ["..."]}} strictly. */
  static Request request(Buffer body) {
    JsonObject json = StrictJson.object(body == null ? null : body.getBytes());
    List<FieldError> errors = new ArrayList<>();
    for (String name : json.fieldNames()) {
      if (!FIELDS.contains(name)) {
        errors.add(new FieldError(name.length() > 64 ? name.substring(0, 64) : name, "unknown field"));
      }
    }
    Object url = json.getValue("url");
    if (url == null) {
      errors.add(new FieldError("url", "is required"));
    } else if (!(url instanceof String)) {
      errors.add(new FieldError("url", "must be a string"));
    }
    Object events = json.getValue("events");
    Set<String> types = new LinkedHashSet<>();
    if (events == null) {
      errors.add(new FieldError("events", "is required"));
    } else if (!(events instanceof JsonArray list) || list.isEmpty() || list.size() > MAX_EVENTS) {
      errors.add(new FieldError("events", "must be an array of 1 to " + MAX_EVENTS + " event types"));
    } else {
      for (int i = 0; i < list.size(); i++) {
        Object t = list.getValue(i);
        if (!(t instanceof String s) || !WebhookEndpoints.EVENT_TYPES.contains(s)) {
          errors.add(new FieldError("events[" + i + "]", "is not an event type; known: "
              + String.join(", ", WebhookEndpoints.EVENT_TYPES.stream().sorted().toList())));
        } else if (!types.add(s)) {
          errors.add(new FieldError("events[" + i + "]", "is given twice"));
        }
      }
    }
    if (!errors.isEmpty()) {
      throw new InvalidRequestException(errors);
    }
    return new Request((String) url, List.copyOf(types));
  }

  private WebhookEndpoints available() {
    return Answers.vaultBacked(endpoints, "webhooks");
  }

  private static UUID id(RoutingContext rc) {
    return Answers.pathId(rc, "a webhook endpoint id");
  }

  static JsonObject endpointJson(Endpoint e) {
    JsonObject j = new JsonObject().put("id", e.id().toString()).put("url", e.url())
        .put("events", new JsonArray(new ArrayList<>(e.events()))).put("status", e.status())
        .put("all_accounts", e.allAccounts()).put("created_at", e.createdAt().toString())
        .put("updated_at", e.updatedAt().toString());
    if (e.disabledReason() != null) {
      j.put("disabled_reason", e.disabledReason());
    }
    if (e.previousUntil() != null) {
      j.put("previous_secret_expires_at", e.previousUntil().toString());
    }
    return j;
  }

  private static JsonObject createdJson(Created c) {
    return endpointJson(c.endpoint()).put("secret", c.secret());
  }

  static JsonObject deliveryJson(Delivery d) {
    JsonObject j = new JsonObject().put("id", Long.toString(d.id())).put("message_id", d.messageId().toString())
        .put("type", d.type()).put("status", d.status()).put("attempts", d.attempts())
        .put("created_at", d.createdAt().toString());
    if (d.status().equals("pending")) {
      j.put("next_attempt_at", d.nextAttemptAt().toString());
    }
    if (d.lastAttemptAt() != null) {
      j.put("last_attempt_at", d.lastAttemptAt().toString());
    }
    if (d.lastStatus() != null) {
      j.put("last_status", d.lastStatus());
    }
    if (d.lastError() != null) {
      j.put("last_error", d.lastError());
    }
    if (d.deliveredAt() != null) {
      j.put("delivered_at", d.deliveredAt().toString());
    }
    return j;
  }

  private static Handler<RoutingContext> answer(Function<RoutingContext, Future<Reply>> route) {
    return Answers.answer(route, WebhookRoutes::reply);
  }

  static Reply reply(Throwable e) {
    if (e instanceof Refused r) {
      return r.reply();
    }
    if (e instanceof InvalidRequestException ie) {
      return Reply.problem(Problem.validation(ie.errors())).notKept();
    }
    if (e instanceof WebhookUrlException u) {
      return Reply.problem(Problem.of(422, "the url " + u.getMessage()).withType(TYPE_URL_REFUSED)
          .withTitle("Webhook URL refused").withErrors(List.of(new FieldError("url", u.getMessage())))).notKept();
    }
    if (e instanceof WebhookEndpoints.TooManyEndpointsException t) {
      return Reply.problem(Problem.of(409, t.getMessage()).withType(TYPE_LIMIT).withTitle("Too many endpoints"))
          .notKept();
    }
    if (e instanceof WebhookEndpoints.EndpointDisabledException d) {
      return Reply.problem(Problem.of(409, d.getMessage()).withType(TYPE_DISABLED).withTitle("Endpoint disabled"))
          .notKept();
    }
    if (e instanceof WebhookEndpoints.KeyReusedException k) {
      return Reply.problem(Problem.of(422, k.getMessage()).withType(Idempotent.TYPE_KEY_REUSED)
          .withTitle("Idempotency key reused")).notKept();
    }
    LOG.warn("webhooks: {}", e.getClass().getSimpleName() + ": " + e.getMessage());
    return Reply.problem(Problem.of(503, "webhooks cannot be read or written right now; retry later")).notKept()
        .withRetryAfter(1);
  }
}
