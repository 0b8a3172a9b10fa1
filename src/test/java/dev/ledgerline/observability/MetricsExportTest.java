package dev.ledgerline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.providers.sandbox.SandboxSettings;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.transactions.Payment;
import dev.ledgerline.transactions.PaymentStore;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node with every role serves {@code /metrics}; after some traffic (accounts, transfers, balance reads, one
 * payment) the exposition passes {@code promtool check metrics}, the alert rules pass {@code promtool check rules},
 * and every metric the Grafana dashboard and the rules use is one the node exports.
 */
class MetricsExportTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND)
      .set("temporal.target", "inprocess").set("providers.sandbox.port", "0")
      .set("providers.sandbox.settle-after", "200ms").set("payments.settlement-poll", "200ms").build();

  private static WebClient web;
  private static String exposition;

  @BeforeAll
  static void traffic() throws IOException {
    web = WebClient.create(node.client());
    String alice = node.tokens().issue("alice", Role.USER);
    String operator = node.tokens().issue("op", Role.OPERATOR);
    String funder = call("POST", "/v1/accounts", operator, new JsonObject().put("ledger", 1).put("code", 1), 201)
        .getString("id");
    String payer = call("POST", "/v1/accounts", alice, new JsonObject().put("ledger", 1).put("code", 1), 201)
        .getString("id");
    call("POST", "/v1/transfers", operator, new JsonObject().put("debit_account_id", funder)
        .put("credit_account_id", payer).put("amount", "1000").put("ledger", 1).put("code", 1), 201);
    call("GET", "/v1/accounts/" + payer, alice, null, 200);
    call("GET", "/v1/accounts/" + payer, alice, null, 200);
    String sandbox = node.get().providers().baseUrl();
    HttpResponse<Buffer> token = web.postAbs(sandbox + "/sandbox/public_token/create")
        .sendJsonObject(new JsonObject().put("client_id", SandboxSettings.DEVELOPMENT_CLIENT_ID)
            .put("secret", SandboxSettings.DEVELOPMENT_SECRET).put("institution_id", "ins_109508")
            .put("initial_products", new JsonArray().add("transfer"))).await();
    String link = call("POST", "/v1/linked-accounts", alice, new JsonObject()
        .put("public_token", token.bodyAsJsonObject().getString("public_token")), 201).getString("id");
    String payment = call("POST", "/v1/payments", alice, new JsonObject().put("from_account_id", payer)
        .put("amount", "250").put("ledger", 1).put("code", 1).put("provider", "plaid")
        .put("linked_account_id", link), 202).getString("id");
    PaymentStore store = new PaymentStore(node.get().services().pool(), null);
    Poll.until(Duration.ofSeconds(60), "the payment completes", () -> {
      Payment p = store.get(payment).await().orElseThrow();
      return p.status().wireName().equals("completed");
    });
    // The state gauges read PostgreSQL every few seconds: wait for a reading that saw the payment.
    Poll.until(Duration.ofSeconds(20), "the payments gauge", () -> scrape().contains("ledgerline_payments{status=\"completed\"} 1"));
    exposition = scrape();
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target/metrics.txt"), exposition);
  }

  private static JsonObject call(String method, String path, String token, JsonObject body, int expected) {
    var req = web.request(HttpMethod.valueOf(method), node.gatewayPort(), "127.0.0.1", path)
        .putHeader("Authorization", "Bearer " + token).putHeader("Idempotency-Key", UUID.randomUUID().toString());
    HttpResponse<Buffer> r = body == null ? req.send().await() : req.sendJsonObject(body).await();
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.bodyAsString()).isEqualTo(expected);
    return r.bodyAsJsonObject();
  }

  private static String scrape() {
    HttpResponse<Buffer> r = web.get(node.managementPort(), "127.0.0.1", "/metrics").send().await();
    assertThat(r.statusCode()).isEqualTo(200);
    return r.bodyAsString();
  }

  @Test
  void theExpositionPassesPromtool() throws Exception {
    Promtool.assumePresent();
    Promtool.Result r = Promtool.run(exposition, "check", "metrics");
    assertThat(r.exit()).as(r.output()).isZero();
  }

  @Test
  void theAlertRulesPassPromtool() throws Exception {
    Promtool.assumePresent();
    Promtool.Result r = Promtool.run(null, "check", "rules", Path.of("conf/prometheus/alerts.yml").toString());
    assertThat(r.exit()).as(r.output()).isZero();
  }

  /** promtool's rule unit test: the payment alerts fire when money waits for an operator, and not before or after. */
  @Test
  void thePaymentAlertsFireWhenMoneyWaitsForAnOperator() throws Exception {
    Promtool.assumePresent();
    Promtool.Result r = Promtool.run(null, "test", "rules",
        Path.of("src/test/resources/prometheus/payment-alerts-test.yml").toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }

  @Test
  void everyMetricTheDashboardAndTheRulesUseIsExported() throws IOException {
    Set<String> exported = MetricNames.exported(exposition);
    Set<String> used = new TreeSet<>();
    for (String expr : MetricNames.dashboardExpressions(Files.readString(Path.of("conf/grafana/ledgerline.json")))) {
      used.addAll(MetricNames.used(expr));
    }
    for (String expr : MetricNames.ruleExpressions(Files.readString(Path.of("conf/prometheus/alerts.yml")))) {
      used.addAll(MetricNames.used(expr));
    }
    assertThat(used).as("metric names found in the dashboard and the rules").hasSizeGreaterThan(10);
    assertThat(exported).as("exported by a running node").containsAll(used);
  }

  @Test
  void labelValuesCarryNoIds() {
    // Route templates, never the ids in a request's path; no subject in any label.
    assertThat(exposition).contains("route=\"/v1/accounts/:id\"").doesNotContain("alice")
        .doesNotContainPattern("route=\"[^\"]*[0-9]{6,}");
  }
}
