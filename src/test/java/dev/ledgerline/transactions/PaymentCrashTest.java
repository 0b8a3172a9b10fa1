package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.gateway.auth.TokenIssuer;
import dev.ledgerline.providers.sandbox.PlaidSandbox;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestData;
import dev.ledgerline.users.Role;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node killed with SIGKILL while its payment waits on a slow provider (10 s on {@code /transfer/create}), then
 * started again on the same data: the re-drive carries the payment on, it completes, the ledger holds exactly one set
 * of its transfers and the provider exactly one transfer. The sandbox runs in the test's JVM so that it outlives the
 * node, as the real provider would.
 */
class PaymentCrashTest {
  private static final String CLIENT = "crash-client";
  private static final String SECRET = "crash-secret";

  private static Process startNode(Map<String, String> keys) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        Ledgerline.class.getName(), "run"));
    keys.forEach((k, v) -> {
      cmd.add("--set");
      cmd.add(k + "=" + v);
    });
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  @Test
  void aNodeKilledMidSagaCompletesThePaymentOnceAfterItsRestart() throws Exception {
    Vertx vertx = Vertx.vertx();
    WebClient web = WebClient.create(vertx);
    PlaidSandbox sandbox = PlaidSandbox.start(vertx, new SandboxSettings("127.0.0.1", 0, CLIENT, SECRET,
        Duration.ofMillis(200), "")).await();
    Path root = TestData.tempRoot("ledgerline-test-crash");
    int gateway = FreePorts.next();
    int management = FreePorts.next();
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("gateway.port", String.valueOf(gateway));
    keys.put("management.port", String.valueOf(management));
    keys.put("postgres.data-dir", root.resolve("pg").toString());
    keys.put("ledger.engine.data-dir", root.resolve("ledger").toString());
    keys.put("node.data-dir", root.resolve("node").toString());
    keys.put("redis.data-dir", "");
    keys.put("temporal.target", "inprocess");
    keys.put("providers.plaid.base-url", sandbox.baseUrl());
    keys.put("providers.plaid.client-id", CLIENT);
    keys.put("providers.plaid.secret", SECRET);
    // The 10 s answer must outlast the node, not the call's deadline: the call is still waiting when it dies.
    keys.put("providers.breaker.timeout", "30s");
    keys.put("payments.settlement-poll", "200ms");
    keys.put("gateway.rate-limits", NodeExtension.RATE_LIMITS_NEVER_BIND);
    Process node = startNode(keys);
    try {
      awaitReady(web, management);
      JwtSettings jwt = JwtSettings.from(NodeExtension.configWith(keys).current());
      String alice = TokenIssuer.issue(jwt, "alice", Set.of(Role.USER), Duration.ofHours(1), Instant.now());
      String operator = TokenIssuer.issue(jwt, "op", Set.of(Role.OPERATOR), Duration.ofHours(1), Instant.now());
      Api api = new Api(web, gateway);
      String funder = api.call(HttpMethod.POST, "/v1/accounts", operator, new JsonObject().put("ledger", 1)
          .put("code", 1), 201).getString("id");
      String payer = api.call(HttpMethod.POST, "/v1/accounts", alice, new JsonObject().put("ledger", 1)
          .put("code", 1), 201).getString("id");
      api.call(HttpMethod.POST, "/v1/transfers", operator, new JsonObject().put("debit_account_id", funder)
          .put("credit_account_id", payer).put("amount", "1000").put("ledger", 1).put("code", 1), 201);
      HttpResponse<Buffer> pt = web.postAbs(sandbox.baseUrl() + "/sandbox/public_token/create")
          .sendJsonObject(new JsonObject().put("client_id", CLIENT).put("secret", SECRET)
              .put("institution_id", "ins_109508").put("initial_products", new JsonArray().add("transfer"))).await();
      String link = api.call(HttpMethod.POST, "/v1/linked-accounts", alice, new JsonObject()
          .put("public_token", pt.bodyAsJsonObject().getString("public_token")), 201).getString("id");

      assertThat(web.postAbs(sandbox.baseUrl() + "/sandbox/faults").sendJsonObject(new JsonObject()
          .put("endpoint", "/transfer/create").put("mode", "latency").put("latency_ms", 10_000).put("rate", 1.0))
          .await().statusCode()).isEqualTo(200);
      String id = api.call(HttpMethod.POST, "/v1/payments", alice, new JsonObject().put("from_account_id", payer)
          .put("amount", "250").put("ledger", 1).put("code", 1).put("provider", "plaid")
          .put("linked_account_id", link), 202).getString("id");
      // The create is in flight at the provider (and will be answered to nobody).
      Poll.until(Duration.ofSeconds(60), "the provider's create called",
          () -> calls(web, sandbox, "/transfer/create") >= 1);
      node.destroyForcibly(); // SIGKILL
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(web.deleteAbs(sandbox.baseUrl() + "/sandbox/faults").send().await().statusCode()).isEqualTo(200);

      node = startNode(keys);
      awaitReady(web, management);
      Poll.until(Duration.ofSeconds(120), "payment " + id + " completed",
          () -> "completed".equals(api.call(HttpMethod.GET, "/v1/payments/" + id, alice, null, 200)
              .getString("status")));
      JsonObject done = api.call(HttpMethod.GET, "/v1/payments/" + id, alice, null, 200);
      JsonObject ids = done.getJsonObject("ledger_transfer_ids");
      for (String step : List.of("reserve-funds", "commit-reserve")) {
        api.call(HttpMethod.GET, "/v1/transfers/" + ids.getString(step), alice, null, 200);
      }
      for (String step : List.of("void-reserve", "reverse-payer")) {
        api.call(HttpMethod.GET, "/v1/transfers/" + ids.getString(step), alice, null, 404);
      }
      JsonObject account = api.call(HttpMethod.GET, "/v1/accounts/" + payer, alice, null, 200);
      assertThat(account.getString("debits_posted")).isEqualTo("250");
      assertThat(account.getString("debits_pending")).isEqualTo("0");
      // Exactly one transfer at the provider: one "pending" event, under the payment's idempotency key.
      JsonArray events = web.postAbs(sandbox.baseUrl() + "/transfer/event/sync").sendJsonObject(new JsonObject()
          .put("client_id", CLIENT).put("secret", SECRET).put("after_id", 0).put("count", 25)).await()
          .bodyAsJsonObject().getJsonArray("transfer_events");
      assertThat(events.stream().map(JsonObject.class::cast).filter(e -> "pending".equals(e.getString("event_type")))
          .map(e -> e.getString("transfer_id")).distinct().count()).isEqualTo(1);
    } finally {
      node.destroy(); // SIGTERM: the restarted node stops in order
      if (!node.waitFor(60, TimeUnit.SECONDS)) {
        node.destroyForcibly();
        node.waitFor(30, TimeUnit.SECONDS);
      }
      vertx.close().await();
    }
  }

  private static long calls(WebClient web, PlaidSandbox sandbox, String endpoint) {
    JsonObject stats = web.getAbs(sandbox.baseUrl() + "/sandbox/stats").send().await().bodyAsJsonObject();
    Object n = stats.getJsonObject("calls").getValue(endpoint);
    return n instanceof Number x ? x.longValue() : 0;
  }

  private static void awaitReady(WebClient web, int management) {
    Poll.until(Duration.ofSeconds(120), "the node ready", () -> {
      try {
        return web.get(management, "127.0.0.1", "/health/ready").send().await().statusCode() == 200;
      } catch (Exception e) { // not listening yet
        return false;
      }
    });
  }

  /** The gateway with a bearer token and a fresh Idempotency-Key per request. */
  private record Api(WebClient web, int port) {
    JsonObject call(HttpMethod method, String path, String token, JsonObject body, int expected) {
      var req = web.request(method, port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + token)
          .putHeader("Idempotency-Key", UUID.randomUUID().toString());
      HttpResponse<Buffer> r = body == null ? req.send().await() : req.sendJsonObject(body).await();
      assertThat(r.statusCode()).as(method + " " + path + ": " + r.bodyAsString()).isEqualTo(expected);
      return r.body() == null ? new JsonObject() : r.bodyAsJsonObject();
    }
  }
}
