package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventTypes;
import dev.ledgerline.events.OutboxRelay;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The parked-event admin routes over real HTTP on one node (embedded PostgreSQL and Redis, development keys): who may
 * list and redeliver, pagination, redelivery through the node's relay, and bad input as problem+json. Events are
 * parked by writing {@code events_dead} rows, as the relay does after {@code events.max-attempts}.
 */
class EventAdminApiTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final String TYPE = "user.updated";
  private static ApiClient api;
  private static String operator;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    operator = node.tokens().issue("ops-1", Role.OPERATOR);
  }

  /** Parks an event for {@code consumer} as the relay would; returns the parked row's id. */
  private static long park(String consumer, String aggregate, long sequence) {
    return node.get().services().pool().preparedQuery("INSERT INTO events_dead (consumer, event_id, event_type, "
            + "aggregate_id, aggregate_seq, occurred_at, correlation_id, causation_id, source, payload, attempts, "
            + "error) VALUES ($1, $2, $3, $4, $5, now(), 'corr', 'cause', 'test', '{\"n\":1}'::jsonb, 10, 'boom') "
            + "RETURNING id")
        .execute(Tuple.of(consumer, UUID.randomUUID(), TYPE, aggregate, sequence)).await()
        .iterator().next().getLong(0);
  }

  private static String token(String caller) {
    return switch (caller) {
      case "none" -> null;
      case "user" -> node.tokens().issue("user-" + UUID.randomUUID(), Role.USER);
      case "operator" -> operator;
      case "admin" -> node.tokens().issue("admin-" + UUID.randomUUID(), Role.ADMIN);
      default -> throw new IllegalArgumentException(caller);
    };
  }

  private static Answer retry(String id, String token) {
    return api.send(HttpMethod.POST, "/v1/admin/events/dead/" + id + "/retry", token, null, null, null);
  }

  /** Caller × route: operators and admins may list and redeliver; users may not; no token is 401. */
  @ParameterizedTest(name = "{0}: list {1}, retry {2}")
  @CsvSource(delimiter = '|', textBlock = """
      # caller  | list | retry
      none      | 401  | 401
      user      | 403  | 403
      operator  | 200  | 200
      admin     | 200  | 200
      """)
  void onlyOperatorsAndAdminsSeeAndRedeliverParkedEvents(String caller, int list, int retry) {
    long id = park(OutboxRelay.PUBSUB, "caller-" + UUID.randomUUID(), 1);
    String token = token(caller);
    Answer listed = api.get("/v1/admin/events/dead?consumer=pubsub&limit=500", token);
    assertThat(listed.status()).as(listed.raw().toString()).isEqualTo(list);
    if (list == 200) {
      assertThat(listed.json().getJsonArray("data").stream().map(JsonObject.class::cast)
          .map(d -> d.getString("id"))).contains(Long.toString(id));
    } else {
      assertThat(listed.header("Content-Type")).isEqualTo("application/problem+json");
    }
    Answer retried = retry(Long.toString(id), token);
    assertThat(retried.status()).as(retried.raw().toString()).isEqualTo(retry);
    if (retry != 200) {
      // Refused before anything ran: the event is still parked; an operator clears it.
      assertThat(retry(Long.toString(id), operator).status()).isEqualTo(200);
    }
  }

  @Test
  void aRetryRedeliversOnceAndThenTheEventIsGone() {
    List<JsonObject> published = new CopyOnWriteArrayList<>();
    node.get().vertx().eventBus().<JsonObject>consumer(EventTypes.address(TYPE), m -> published.add(m.body()))
        .completion().await();
    String aggregate = "redeliver-" + UUID.randomUUID();
    long id = park(OutboxRelay.PUBSUB, aggregate, 1);
    Answer ok = retry(Long.toString(id), operator);
    assertThat(ok.status()).as(ok.raw().toString()).isEqualTo(200);
    assertThat(ok.json().getBoolean("redelivered")).isTrue();
    Poll.until(PATIENCE, "published again", () -> published.stream()
        .anyMatch(e -> aggregate.equals(e.getString("aggregateId"))));
    // A repeated retry (a double click, a client retry) finds nothing left to redeliver.
    Answer again = retry(Long.toString(id), operator);
    assertThat(again.status()).isEqualTo(404);
    assertThat(again.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(api.get("/v1/admin/events/dead?consumer=pubsub&limit=500", operator).json().getJsonArray("data")
        .stream().map(JsonObject.class::cast).map(d -> d.getString("id"))).doesNotContain(Long.toString(id));
  }

  @Test
  void aLaterEventWaitsForTheEarlierAndAnUnknownConsumerIsRefused() {
    String aggregate = "ordered-" + UUID.randomUUID();
    long first = park(OutboxRelay.PUBSUB, aggregate, 1);
    long second = park(OutboxRelay.PUBSUB, aggregate, 2);
    Answer refused = retry(Long.toString(second), operator);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.json().getString("type")).isEqualTo(EventAdminRoutes.TYPE_REDELIVERY_REFUSED);
    assertThat(retry(Long.toString(first), operator).status()).isEqualTo(200);
    assertThat(retry(Long.toString(second), operator).status()).isEqualTo(200);

    long orphan = park("no-such-consumer", "orphan-" + UUID.randomUUID(), 1);
    Answer unknown = retry(Long.toString(orphan), operator);
    assertThat(unknown.status()).isEqualTo(409);
    assertThat(unknown.json().getString("type")).isEqualTo(EventAdminRoutes.TYPE_REDELIVERY_REFUSED);
  }

  @Test
  void theListPagesWithItsCursorAndFiltersByConsumer() {
    String consumer = "pages-" + UUID.randomUUID();
    List<String> parked = new ArrayList<>();
    for (int i = 1; i <= 5; i++) parked.add(Long.toString(park(consumer, "paged-" + i, 1)));
    park("someone-else", "other", 1);
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Answer page = api.get("/v1/admin/events/dead?consumer=" + consumer + "&limit=2"
          + (cursor == null ? "" : "&cursor=" + cursor), operator);
      assertThat(page.status()).isEqualTo(200);
      JsonArray data = page.json().getJsonArray("data");
      data.stream().map(JsonObject.class::cast).forEach(d -> {
        assertThat(d.getString("consumer")).isEqualTo(consumer);
        assertThat(d.getString("error")).isEqualTo("boom");
        assertThat(d.getJsonObject("event").getString("type")).isEqualTo(TYPE);
        seen.add(d.getString("id"));
      });
      cursor = page.json().getString("next_cursor");
      pages++;
    } while (cursor != null);
    assertThat(seen).isEqualTo(parked);
    assertThat(pages).isEqualTo(3);
  }

  /** Bad input of both routes: 400 problem+json naming the parameter, or 404 for a well-formed id parked nowhere. */
  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      # method | path                                                     | status | field
      GET      | /v1/admin/events/dead?cursor=garbage                     | 400    | cursor
      GET      | /v1/admin/events/dead?cursor=ZGVhZDow                    | 400    | cursor
      GET      | /v1/admin/events/dead?cursor=ZGVhZDox%3D                 | 400    | cursor
      GET      | /v1/admin/events/dead?cursor=%00                         | 400    | cursor
      GET      | /v1/admin/events/dead?limit=1000000000000                | 400    | limit
      GET      | /v1/admin/events/dead?limit=501                          | 400    | limit
      GET      | /v1/admin/events/dead?limit=0                            | 400    | limit
      GET      | /v1/admin/events/dead?limit=-1                           | 400    | limit
      GET      | /v1/admin/events/dead?limit=ten                          | 400    | limit
      GET      | /v1/admin/events/dead?limit=1&limit=2                    | 400    | limit
      GET      | /v1/admin/events/dead?consumer=                          | 400    | consumer
      GET      | /v1/admin/events/dead?consumer=a%00b                     | 400    | consumer
      GET      | /v1/admin/events/dead?sort=id                            | 400    | sort
      POST     | /v1/admin/events/dead/abc/retry                          | 400    | id
      POST     | /v1/admin/events/dead/0/retry                            | 400    | id
      POST     | /v1/admin/events/dead/-1/retry                           | 400    | id
      POST     | /v1/admin/events/dead/01/retry                           | 400    | id
      POST     | /v1/admin/events/dead/99999999999999999999/retry         | 400    | id
      POST     | /v1/admin/events/dead/9999999999999999999/retry          | 400    | id
      POST     | /v1/admin/events/dead/1%00/retry                         | 400    | id
      POST     | /v1/admin/events/dead/0190a4a6-8a4b-7c1e-9b1a-3f1c2d4e5f60/retry | 400 | id
      POST     | /v1/admin/events/dead/9223372036854775807/retry          | 404    |
      """)
  void badInputIsAProblem(String method, String path, int status, String field) {
    Answer a = api.send(HttpMethod.valueOf(method), path, operator, null, null, null);
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
    if (field != null) {
      assertThat(a.json().getJsonArray("errors").stream().map(JsonObject.class::cast)
          .map(e -> e.getString("field"))).contains(field);
    }
  }

  @Test
  void aRetryTakesNoBody() {
    long id = park(OutboxRelay.PUBSUB, "body-" + UUID.randomUUID(), 1);
    Answer a = api.send(HttpMethod.POST, "/v1/admin/events/dead/" + id + "/retry", operator, null, "{\"x\":1}",
        "application/json");
    assertThat(a.status()).isEqualTo(400);
    assertThat(retry(Long.toString(id), operator).status()).isEqualTo(200);
  }
}
