package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.providers.sandbox.SandboxSettings;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The settlement webhook end to end on one node with every role: the embedded sandbox settles the transfer and, by
 * default, POSTs its signed TRANSFER_EVENTS_UPDATE to this node's own webhook route; the node syncs the provider's
 * events and signals the saga. The saga polls only every ten minutes here, so a completion within the test's window
 * can only have come through the webhook.
 */
class PaymentWebhookTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND)
      .set("temporal.target", "inprocess")
      .set("providers.sandbox.port", "0").set("providers.sandbox.settle-after", "200ms")
      .set("payments.settlement-poll", "10m").set("payments.external-deadline", "20m")
      .build();

  private static WebClient web;

  private static JsonObject call(String method, String path, String token, JsonObject body, int expected) {
    var req = web.request(io.vertx.core.http.HttpMethod.valueOf(method), node.gatewayPort(), "127.0.0.1", path)
        .putHeader("Authorization", "Bearer " + token).putHeader("Idempotency-Key", UUID.randomUUID().toString());
    HttpResponse<Buffer> r = body == null ? req.send().await() : req.sendJsonObject(body).await();
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.bodyAsString()).isEqualTo(expected);
    return r.bodyAsJsonObject();
  }

  private static String account(String token) {
    return call("POST", "/v1/accounts", token, new JsonObject().put("ledger", 1).put("code", 1), 201)
        .getString("id");
  }

  @Test
  void aPaymentCompletesThroughTheSettlementWebhook() {
    web = WebClient.create(node.client());
    String sandbox = node.get().providers().baseUrl();
    String alice = node.tokens().issue("alice", Role.USER);
    String operator = node.tokens().issue("op", Role.OPERATOR);
    String funder = account(operator);
    HttpResponse<Buffer> token = web.postAbs(sandbox + "/sandbox/public_token/create")
        .sendJsonObject(new JsonObject().put("client_id", SandboxSettings.DEVELOPMENT_CLIENT_ID)
            .put("secret", SandboxSettings.DEVELOPMENT_SECRET).put("institution_id", "ins_109508")
            .put("initial_products", new JsonArray().add("transfer"))).await();
    assertThat(token.statusCode()).as(token.bodyAsString()).isEqualTo(200);
    String link = call("POST", "/v1/linked-accounts", alice, new JsonObject()
        .put("public_token", token.bodyAsJsonObject().getString("public_token")), 201).getString("id");
    String payer = account(alice);
    call("POST", "/v1/transfers", operator, new JsonObject().put("debit_account_id", funder)
        .put("credit_account_id", payer).put("amount", "1000").put("ledger", 1).put("code", 1), 201);

    String id = call("POST", "/v1/payments", alice, new JsonObject().put("from_account_id", payer)
        .put("amount", "250").put("ledger", 1).put("code", 1).put("provider", "plaid")
        .put("linked_account_id", link).put("description", "rent"), 202).getString("id");
    PaymentStore store = new PaymentStore(node.get().services().pool(), null);
    Poll.until(Duration.ofSeconds(60), "payment " + id + " completes by webhook",
        () -> store.get(id).await().orElseThrow().status().wireName().equals("completed"));
    JsonObject done = call("GET", "/v1/payments/" + id, alice, null, 200);
    assertThat(done.getString("provider_reference")).isNotNull();
    assertThat(done.getJsonArray("steps").stream().map(s -> ((JsonObject) s).getString("event")))
        .contains("TransferCommitted", "PaymentCompleted");
    // The settlement went through the outbox as provider.transfer.updated, naming the payment and its transfer.
    var rows = node.get().services().pool().preparedQuery("SELECT payload FROM events_outbox WHERE event_type = $1")
        .execute(io.vertx.sqlclient.Tuple.of(PaymentStore.PROVIDER_TRANSFER_UPDATED)).await();
    assertThat(rows.size()).isPositive();
    JsonObject settled = null;
    for (var r : rows) {
      JsonObject p = new JsonObject(String.valueOf(r.getValue(0)));
      if ("settled".equals(p.getString("event_type"))) settled = p;
    }
    assertThat(settled).isNotNull();
    assertThat(settled.getString("payment_id")).isEqualTo(id);
    assertThat(settled.getString("transfer_id")).isEqualTo(done.getString("provider_reference"));
    assertThat(settled.getString("outcome")).isEqualTo("succeeded");
    // The webhook's lookup found the payment by its provider reference, and the sync's cursor is kept in PostgreSQL
    // past the settlement, so a restarted node does not read it again.
    var ref = node.get().services().pool().preparedQuery("SELECT payment_id::text FROM payment_provider_references "
        + "WHERE provider_reference = $1").execute(io.vertx.sqlclient.Tuple.of(done.getString("provider_reference")))
        .await();
    assertThat(ref.iterator().next().getString(0)).isEqualTo(id);
    long settledEvent = settled.getLong("event_id");
    Poll.until(Duration.ofSeconds(10), "the event cursor is stored past the settlement",
        () -> store.eventCursor(ProviderSettlements.CURSOR).await() >= settledEvent);
  }
}
