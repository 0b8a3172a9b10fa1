package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.auth.UserCheck;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Users and permissions over real HTTP, one node on embedded PostgreSQL and Redis with development keys (so unknown
 * subjects are provisioned with their token's roles): every route × its permission present or denied, the admin API
 * with its audit trail and bad input, suspension of requests and of an open stream.
 */
class UsersApiTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();
  private static ApiClient api;
  private static String root;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
    root = node.tokens().issue("root", Role.ADMIN);
    assertThat(api.get("/v1/admin/users/root", root).status()).isEqualTo(200); // provisioned as an admin
  }

  private static Answer createUser(String body) {
    return api.send(HttpMethod.POST, "/v1/admin/users", root, null, body, "application/json");
  }

  private static Answer patch(String id, String token, String body) {
    return api.send(HttpMethod.PATCH, "/v1/admin/users/" + id, token, null, body, "application/json");
  }

  /**
   * Every route with the permission it needs. A caller who is an admin in every other respect, with only this
   * permission denied, is refused 403 naming it; with it, the same request is not refused for want of it.
   */
  @ParameterizedTest(name = "{0} {1} needs {2}")
  @CsvSource(delimiter = '|', textBlock = """
      # method | path                                   | permission        | body
      POST     | /v1/accounts                           | accounts:create   | {"ledger":1,"code":1}
      GET      | /v1/accounts?ledger=1                  | operator:read     |
      GET      | /v1/accounts/7                         | accounts:read     |
      GET      | /v1/accounts/7/transfers               | accounts:read     |
      GET      | /v1/accounts/7/balances                | accounts:read     |
      POST     | /v1/transfers                          | transfers:create  | {"debit_account_id":"1","credit_account_id":"2","amount":"1","ledger":1,"code":1}
      POST     | /v1/transfers/batch                    | transfers:create  | {"transfers":[]}
      GET      | /v1/transfers/7                        | transfers:read    |
      POST     | /v1/admin/users                        | admin:users       | {"id":"table-made","roles":["user"]}
      GET      | /v1/admin/users                        | admin:users       |
      GET      | /v1/admin/users/root                   | admin:users       |
      GET      | /v1/admin/users/root/events            | admin:users       |
      PATCH    | /v1/admin/users/table-made             | admin:users       | {"grant":["webhooks:manage"]}
      POST     | /v1/payments                           | payments:create   | {"from_account_id":"7","amount":"1","ledger":1,"code":1,"provider":"plaid","linked_account_id":"l"}
      GET      | /v1/payments                           | payments:read     |
      GET      | /v1/payments/00000000-0000-7000-8000-000000000000 | payments:read     |
      GET      | /v1/payments/00000000-0000-7000-8000-000000000000/events | payments:read |
      GET      | /v1/transactions/search?q=x            | transactions:search |
      POST     | /v1/payments/00000000-0000-7000-8000-000000000000/cancel | payments:create |
      POST     | /v1/payments/00000000-0000-7000-8000-000000000000/resolve | operator:resolve | {"action":"retry","reason":"fixed"}
      POST     | /v1/linked-accounts                    | linked_accounts:manage | {"public_token":"public-sandbox-unknown"}
      GET      | /v1/linked-accounts                    | linked_accounts:manage |
      GET      | /v1/linked-accounts/00000000-0000-4000-8000-000000000000/balances | linked_accounts:manage |
      DELETE   | /v1/linked-accounts/00000000-0000-4000-8000-000000000000 | linked_accounts:manage |
      GET      | /v1/admin/events/dead                  | operator:read     |
      POST     | /v1/admin/events/dead/1/retry          | operator:resolve  |
      POST     | /v1/webhooks                           | webhooks:manage   | {"url":"https://93.184.216.34/in","events":["transfer.committed"]}
      GET      | /v1/webhooks                           | webhooks:manage   |
      GET      | /v1/webhooks/00000000-0000-4000-8000-000000000000 | webhooks:manage |
      DELETE   | /v1/webhooks/00000000-0000-4000-8000-000000000000 | webhooks:manage |
      POST     | /v1/webhooks/00000000-0000-4000-8000-000000000000/rotate-secret | webhooks:manage |
      GET      | /v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries | webhooks:manage |
      POST     | /v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries/1/retry | webhooks:manage |
      """)
  void everyRouteNeedsItsPermission(String method, String path, String permission, String body) {
    String id = "deny-" + permission.replace(':', '-') + "-" + UUID.randomUUID();
    assertThat(createUser("{\"id\":\"" + id + "\",\"roles\":[\"admin\"],\"deny\":[\"" + permission + "\"]}")
        .status()).isEqualTo(201);
    String other = "has-" + permission.replace(':', '-') + "-" + UUID.randomUUID();
    assertThat(createUser("{\"id\":\"" + other + "\",\"roles\":[\"admin\"]}").status()).isEqualTo(201);
    HttpMethod m = HttpMethod.valueOf(method);
    String key = m == HttpMethod.POST ? UUID.randomUUID().toString() : null;

    Answer denied = api.send(m, path, node.tokens().issue(id, Role.ADMIN), key, body, "application/json");
    assertThat(denied.status()).as(denied.raw().toString()).isEqualTo(403);
    assertThat(denied.json().getString("detail")).contains(permission);

    Answer allowed = api.send(m, path, node.tokens().issue(other, Role.ADMIN),
        key == null ? null : UUID.randomUUID().toString(), body, "application/json");
    assertThat(allowed.status()).as(allowed.raw().toString()).isNotIn(401, 403);
  }

  @Test
  void theTableAboveCoversEveryOperationAndOpenApiNamesTheSamePermissions() {
    JsonObject doc = new JsonObject(ApiRouter.openApiDocument());
    Map<String, String> declared = new java.util.TreeMap<>();
    doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).forEach(op -> {
      JsonObject o = (JsonObject) op.getValue();
      if (!p.getKey().equals("/openapi.json")) {
        assertThat(o.getString("x-permission")).as("%s %s declares a permission", op.getKey(), p.getKey())
            .isNotNull();
        declared.put(op.getKey().toUpperCase() + " " + p.getKey(), o.getString("x-permission"));
      }
    }));
    assertThat(declared).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
        Map.entry("POST /v1/accounts", "accounts:create"), Map.entry("GET /v1/accounts", "operator:read"),
        Map.entry("GET /v1/accounts/{id}", "accounts:read"),
        Map.entry("GET /v1/accounts/{id}/transfers", "accounts:read"),
        Map.entry("GET /v1/accounts/{id}/balances", "accounts:read"),
        Map.entry("POST /v1/transfers", "transfers:create"), Map.entry("POST /v1/transfers/batch", "transfers:create"),
        Map.entry("GET /v1/transfers/{id}", "transfers:read"), Map.entry("POST /v1/admin/users", "admin:users"),
        Map.entry("GET /v1/admin/users", "admin:users"), Map.entry("GET /v1/admin/users/{id}", "admin:users"),
        Map.entry("GET /v1/admin/users/{id}/events", "admin:users"),
        Map.entry("PATCH /v1/admin/users/{id}", "admin:users"), Map.entry("GET /v1/stream", "stream:connect"),
        Map.entry("POST /v1/auth/revoke", "authenticated"),
        Map.entry("POST /v1/payments", "payments:create"), Map.entry("GET /v1/payments", "payments:read"),
        Map.entry("GET /v1/payments/{id}", "payments:read"), Map.entry("GET /v1/payments/{id}/events", "payments:read"),
        Map.entry("POST /v1/payments/{id}/cancel", "payments:create"),
        Map.entry("POST /v1/payments/{id}/resolve", "operator:resolve"),
        Map.entry("POST /v1/linked-accounts", "linked_accounts:manage"),
        Map.entry("GET /v1/linked-accounts", "linked_accounts:manage"),
        Map.entry("GET /v1/linked-accounts/{id}/balances", "linked_accounts:manage"),
        Map.entry("DELETE /v1/linked-accounts/{id}", "linked_accounts:manage"),
        Map.entry("GET /v1/institutions", "public"),
        Map.entry("GET /v1/transactions/search", "transactions:search"),
        Map.entry("POST /v1/provider-webhooks/plaid", "public"),

        Map.entry("GET /v1/admin/events/dead", "operator:read"),
        Map.entry("POST /v1/admin/events/dead/{id}/retry", "operator:resolve"),
        Map.entry("POST /v1/webhooks", "webhooks:manage"), Map.entry("GET /v1/webhooks", "webhooks:manage"),
        Map.entry("GET /v1/webhooks/{id}", "webhooks:manage"), Map.entry("DELETE /v1/webhooks/{id}", "webhooks:manage"),
        Map.entry("POST /v1/webhooks/{id}/rotate-secret", "webhooks:manage"),
        Map.entry("GET /v1/webhooks/{id}/deliveries", "webhooks:manage"),
        Map.entry("POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry", "webhooks:manage")));
  }

  @Test
  void aUserCannotAdministerUsersNorGrantThemselvesAnything() {
    String mallory = node.tokens().issue("mallory", Role.USER);
    assertThat(api.get("/v1/accounts/1", mallory).status()).isNotEqualTo(403); // provisioned, an ordinary user
    assertThat(patch("mallory", mallory, "{\"grant\":[\"admin:users\"]}").status()).isEqualTo(403);
    assertThat(api.send(HttpMethod.POST, "/v1/admin/users", mallory, null, "{\"id\":\"y\",\"roles\":[\"admin\"]}",
        "application/json").status()).isEqualTo(403);
    // A token claiming admin for an existing user changes nothing: the stored user decides.
    assertThat(patch("mallory", node.tokens().issue("mallory", Role.ADMIN), "{\"roles\":[\"admin\"]}").status())
        .isEqualTo(403);
    assertThat(api.get("/v1/admin/users/mallory", root).json().getJsonArray("roles"))
        .isEqualTo(new JsonArray().add("user"));
  }

  @Test
  void suspensionRefusesTheNextRequestAndIsAuditedWithItsActor() {
    String carol = node.tokens().issue("carol", Role.USER);
    assertThat(api.post("/v1/accounts", carol, UUID.randomUUID().toString(), "{\"ledger\":1,\"code\":1}").status())
        .isEqualTo(201);
    Answer suspended = patch("carol", root, "{\"status\":\"suspended\",\"reason\":\"chargeback review\"}");
    assertThat(suspended.status()).as(suspended.raw().toString()).isEqualTo(200);
    assertThat(suspended.json().getString("status")).isEqualTo("suspended");
    assertThat(suspended.json().getString("updated_by")).isEqualTo("root");

    for (Answer refused : List.of(api.get("/v1/accounts/1", carol),
        api.post("/v1/accounts", carol, UUID.randomUUID().toString(), "{\"ledger\":1,\"code\":1}"))) {
      assertThat(refused.status()).isEqualTo(403);
      assertThat(refused.json().getString("type")).isEqualTo(UserCheck.TYPE_SUSPENDED);
    }
    JsonArray events = api.get("/v1/admin/users/carol/events", root).json().getJsonArray("data");
    assertThat(events.size()).isEqualTo(2);
    JsonObject last = events.getJsonObject(1);
    assertThat(last.getString("type")).isEqualTo("user.updated");
    assertThat(last.getString("actor")).isEqualTo("root");
    assertThat(last.getString("reason")).isEqualTo("chargeback review");
    assertThat(last.getJsonObject("change")).isEqualTo(new JsonObject().put("status", "suspended"));

    assertThat(patch("carol", root, "{\"status\":\"active\"}").status()).isEqualTo(200);
    assertThat(api.get("/v1/accounts/1", carol).status()).isNotEqualTo(403);
  }

  @Test
  void grantAndDenyTakeEffectOnTheNextRequest() {
    String dave = node.tokens().issue("dave", Role.USER);
    assertThat(api.get("/v1/accounts?ledger=1", dave).status()).isEqualTo(403);
    assertThat(patch("dave", root, "{\"grant\":[\"operator:read\"]}").status()).isEqualTo(200);
    assertThat(api.get("/v1/accounts?ledger=1", dave).status()).isEqualTo(200);
    assertThat(patch("dave", root, "{\"deny\":[\"transfers:create\"]}").status()).isEqualTo(200);
    Answer refused = api.post("/v1/transfers", dave, UUID.randomUUID().toString(),
        "{\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"1\",\"ledger\":1,\"code\":1}");
    assertThat(refused.status()).isEqualTo(403);
    JsonObject shown = api.get("/v1/admin/users/dave", root).json();
    assertThat(shown.getJsonArray("permissions").getList()).contains("operator:read").doesNotContain(
        "transfers:create");
  }

  @Test
  void theLastAdminCannotSuspendThemselves() {
    // Every other admin of this node is suspended first, so root is the last one.
    List<String> others = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = api.get("/v1/admin/users?permission=admin:users&status=active"
          + (cursor == null ? "" : "&cursor=" + cursor), root).json();
      page.getJsonArray("data").forEach(u -> others.add(((JsonObject) u).getString("id")));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    others.remove("root");
    for (String id : others) {
      assertThat(patch(id, root, "{\"deny\":[\"admin:users\"]}").status()).isEqualTo(200);
    }
    Answer refused = patch("root", root, "{\"status\":\"suspended\"}");
    assertThat(refused.status()).as(refused.raw().toString()).isEqualTo(422);
    assertThat(refused.json().getString("type")).isEqualTo(UserRoutes.TYPE_LAST_ADMIN);
    assertThat(api.get("/v1/admin/users/root", root).json().getString("status")).isEqualTo("active");
    for (String id : others) {
      assertThat(patch(id, root, "{\"revoke\":[\"admin:users\"]}").status()).isEqualTo(200);
    }
  }

  @ParameterizedTest(name = "{0} {1}: {3} -> {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      # method | path                            | status | body
      POST     | /v1/admin/users                 | 400    | ``
      POST     | /v1/admin/users                 | 400    | `[]`
      POST     | /v1/admin/users                 | 400    | `{"id":"a","id":"b","roles":["user"]}`
      POST     | /v1/admin/users                 | 400    | `{"id":"a","roles":["user"]} {}`
      POST     | /v1/admin/users                 | 400    | `{"id":`
      POST     | /v1/admin/users                 | 422    | `{"roles":["user"]}`
      POST     | /v1/admin/users                 | 422    | `{"id":"","roles":["user"]}`
      POST     | /v1/admin/users                 | 400    | `{"id":"a\\u0000b","roles":["user"]}`
      POST     | /v1/admin/users                 | 422    | `{"id":7,"roles":["user"]}`
      POST     | /v1/admin/users                 | 422    | `{"id":"g1","roles":[]}`
      POST     | /v1/admin/users                 | 422    | `{"id":"g1","roles":["root"]}`
      POST     | /v1/admin/users                 | 422    | `{"id":"g1","roles":["user"],"grant":["money:print"]}`
      POST     | /v1/admin/users                 | 422    | `{"id":"g1","roles":["user"],"grant":["webhooks:manage"],"deny":["webhooks:manage"]}`
      POST     | /v1/admin/users                 | 422    | `{"id":"g1","roles":["user"],"owner":"me"}`
      POST     | /v1/admin/users                 | 422    | `{"id":"g1","roles":["user"],"status":"frozen"}`
      POST     | /v1/admin/users                 | 409    | `{"id":"root","roles":["user"]}`
      PATCH    | /v1/admin/users/root            | 422    | `{}`
      PATCH    | /v1/admin/users/root            | 422    | `{"grant":"admin:users"}`
      PATCH    | /v1/admin/users/root            | 422    | `{"roles":[]}`
      PATCH    | /v1/admin/users/root            | 422    | `{"reason":"only"}`
      PATCH    | /v1/admin/users/root            | 400    | `{"status":"active","reason":"\\ud800"}`
      PATCH    | /v1/admin/users/nobody-at-all   | 404    | `{"status":"suspended"}`
      GET      | /v1/admin/users/nobody-at-all   | 404    |
      GET      | /v1/admin/users?status=frozen   | 422    |
      GET      | /v1/admin/users?permission=x:y  | 422    |
      GET      | /v1/admin/users?limit=0         | 422    |
      GET      | /v1/admin/users?limit=99999999  | 422    |
      GET      | /v1/admin/users?cursor=%25%25   | 422    |
      GET      | /v1/admin/users?sort=id         | 422    |
      """)
  void badInputGetsAPreciseProblemAndChangesNothing(String method, String path, int status, String body) {
    int before = api.get("/v1/admin/users/root/events", root).json().getJsonArray("data").size();
    Answer a = api.send(HttpMethod.valueOf(method), path, root, null, body, "application/json");
    assertThat(a.status()).as(a.raw().toString()).isEqualTo(status);
    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(api.get("/v1/admin/users/g1", root).status()).isEqualTo(404);
    assertThat(api.get("/v1/admin/users/root/events", root).json().getJsonArray("data").size()).isEqualTo(before);
  }

  @Test
  void aSuspendedUsersOpenStreamClosesWithPolicyViolation() throws InterruptedException {
    String erin = node.tokens().issue("erin", Role.USER);
    assertThat(api.get("/v1/accounts/1", erin).status()).isNotEqualTo(403); // provisioned
    WebSocketClient client = node.client().createWebSocketClient();
    AtomicInteger closedWith = new AtomicInteger();
    var ws = client.connect(new WebSocketConnectOptions().setPort(node.gatewayPort()).setHost("127.0.0.1")
        .setURI("/v1/stream").setAllowOriginHeader(false).addHeader("Authorization", "Bearer " + erin)).await();
    ws.closeHandler(v -> closedWith.set(ws.closeStatusCode() == null ? -1 : ws.closeStatusCode()));
    assertThat(patch("erin", root, "{\"status\":\"suspended\"}").status()).isEqualTo(200);
    Poll.until(Duration.ofSeconds(5), "the stream to close", () -> closedWith.get() != 0);
    assertThat(closedWith.get()).isEqualTo(1008);
    // A new handshake is refused too.
    io.vertx.core.Future<?> again = client.connect(new WebSocketConnectOptions().setPort(node.gatewayPort())
        .setHost("127.0.0.1").setURI("/v1/stream").setAllowOriginHeader(false)
        .addHeader("Authorization", "Bearer " + erin));
    again.otherwiseEmpty().await();
    assertThat(again.cause()).isInstanceOf(io.vertx.core.http.UpgradeRejectedException.class);
    assertThat(((io.vertx.core.http.UpgradeRejectedException) again.cause()).getStatus()).isEqualTo(403);
    client.close().await();
  }

  /** The stream's row of the table above: its handshake needs stream:connect. */
  @Test
  void theStreamNeedsStreamConnect() {
    assertThat(createUser("{\"id\":\"no-stream\",\"roles\":[\"admin\"],\"deny\":[\"stream:connect\"]}")
        .status()).isEqualTo(201);
    WebSocketClient client = node.client().createWebSocketClient();
    for (String[] caller : new String[][] {{"no-stream", "403"}, {"with-stream", "101"}}) {
      io.vertx.core.Future<?> ws = client.connect(new WebSocketConnectOptions().setPort(node.gatewayPort())
          .setHost("127.0.0.1").setURI("/v1/stream").setAllowOriginHeader(false)
          .addHeader("Authorization", "Bearer " + node.tokens().issue(caller[0], Role.ADMIN)));
      ws.otherwiseEmpty().await();
      int status = ws.succeeded() ? 101 : ((io.vertx.core.http.UpgradeRejectedException) ws.cause()).getStatus();
      assertThat(status).as(caller[0]).isEqualTo(Integer.parseInt(caller[1]));
    }
    client.close().await();
  }

  @Test
  void aDemotedOperatorsOpenStreamEnds() {
    String olga = node.tokens().issue("olga", Role.OPERATOR);
    assertThat(api.get("/v1/accounts/1", olga).status()).isNotEqualTo(403); // provisioned as an operator
    WebSocketClient client = node.client().createWebSocketClient();
    java.util.concurrent.atomic.AtomicReference<String> reason = new java.util.concurrent.atomic.AtomicReference<>();
    var ws = client.connect(new WebSocketConnectOptions().setPort(node.gatewayPort()).setHost("127.0.0.1")
        .setURI("/v1/stream").setAllowOriginHeader(false).addHeader("Authorization", "Bearer " + olga)).await();
    ws.closeHandler(v -> reason.set(ws.closeStatusCode() + " " + ws.closeReason()));
    // What an operator's stream may show was decided when it opened; a demotion ends it.
    assertThat(patch("olga", root, "{\"roles\":[\"user\"]}").status()).isEqualTo(200);
    Poll.until(Duration.ofSeconds(5), "the stream to close", () -> reason.get() != null);
    assertThat(reason.get()).isEqualTo("1008 permissions changed");
    client.close().await();
  }

  @Test
  void listPagesThroughEveryUserOnce() {
    for (int i = 0; i < 5; i++) {
      assertThat(createUser("{\"id\":\"page-" + i + "\",\"roles\":[\"user\"]}").status()).isEqualTo(201);
    }
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = api.get("/v1/admin/users?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), root)
          .json();
      for (Object u : page.getJsonArray("data")) {
        assertThat(seen.add(((JsonObject) u).getString("id"))).isTrue();
      }
      cursor = page.getString("next_cursor");
      pages++;
    } while (cursor != null && pages < 1000);
    assertThat(seen).contains("page-0", "page-1", "page-2", "page-3", "page-4", "root");
  }
}
