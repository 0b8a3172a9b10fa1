package dev.ledgerline.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.node.Node;
import dev.ledgerline.providers.sandbox.PlaidSandbox;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.Tokens;
import dev.ledgerline.testing.ZipkinServer;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One payment, one trace, in a real Zipkin: a 2-node cluster (node {@code gw} runs the gateway, node {@code tx} the
 * transactions role with the in-process Temporal server and the ledger) exports to Zipkin, and Zipkin's HTTP API shows
 * that {@code POST /v1/payments}, sent with a {@code traceparent}, produced a single trace under that id with spans
 * from both nodes, the saga's steps, and the ledger batch span linked to the request that it carried.
 */
class DistributedTraceTest {
  private static final String CLIENT = "trace-client";
  private static final String SECRET = "trace-secret";

  @TempDir
  static Path dir;
  @RegisterExtension
  static final NodeExtension nodes = NodeExtension.nodes();
  private static ZipkinServer zipkin;
  private static PlaidSandbox sandbox;
  private static WebClient web;
  private static Node gw;
  private static Node tx;
  private static int gatewayPort;
  private static Tokens tokens;

  @BeforeAll
  static void start() throws Exception {
    web = WebClient.create(nodes.client());
    zipkin = ZipkinServer.start(web);
    sandbox = PlaidSandbox.start(nodes.client(), new SandboxSettings("127.0.0.1", 0, CLIENT, SECRET,
        Duration.ofMillis(200), "")).await();
    Path key = dir.resolve("vault.key");
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    Files.writeString(key, Base64.getEncoder().encodeToString(raw));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    int[] hz = {FreePorts.next(), FreePorts.next()};
    gatewayPort = FreePorts.next();
    Map<String, String> common = new HashMap<>();
    common.putAll(Map.of("cluster.enabled", "true", "cluster.name", "trace-" + System.nanoTime(),
        "cluster.members", "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1],
        "gateway.rate-limits", NodeExtension.RATE_LIMITS_NEVER_BIND,
        "tracing.exporter", "zipkin", "tracing.endpoint", zipkin.spansEndpoint(), "tracing.sampling-ratio", "1.0",
        "vault.keys", new JsonObject().put("k1", "file:" + key).encode(), "vault.active-key", "k1"));
    common.putAll(Map.of("providers.plaid.base-url", sandbox.baseUrl(), "providers.plaid.client-id", CLIENT,
        "providers.plaid.secret", SECRET, "payments.settlement-poll", "200ms"));
    Map<String, String> a = new HashMap<>(common);
    a.putAll(Map.of("node.id", "gw", "node.roles", "gateway", "cluster.port", String.valueOf(hz[0]),
        "gateway.port", String.valueOf(gatewayPort)));
    ConfigService configA = NodeExtension.configWith(a);
    gw = nodes.start(configA);
    Map<String, String> b = new HashMap<>(common);
    b.putAll(Map.of("node.id", "tx", "node.roles", "transactions,ledger", "cluster.port", String.valueOf(hz[1]),
        "temporal.target", "inprocess",
        "postgres.mode", "external", "postgres.url", gw.services().postgresUrl().orElseThrow().url(),
        "redis.mode", "external", "redis.url", gw.services().redisUrl().orElseThrow()));
    tx = nodes.start(b);
    tokens = Tokens.of(configA);
    Poll.until(Duration.ofSeconds(30), "both nodes in the cluster", () -> gw.members() == 2 && tx.members() == 2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) sandbox.close().await();
    if (zipkin != null) zipkin.close();
  }

  private static JsonObject call(HttpMethod method, String path, String token, JsonObject body, String traceparent,
      int expected) {
    var req = web.request(method, gatewayPort, "127.0.0.1", path).putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", UUID.randomUUID().toString());
    if (traceparent != null) req.putHeader(TraceContext.TRACEPARENT, traceparent);
    HttpResponse<Buffer> r = body == null ? req.send().await() : req.sendJsonObject(body).await();
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.bodyAsString()).isEqualTo(expected);
    return r.bodyAsJsonObject();
  }

  @Test
  void aPaymentAcrossTwoNodesIsOneTraceInZipkin() {
    String alice = tokens.issue("alice", Role.USER);
    String operator = tokens.issue("op", Role.OPERATOR);
    String funder = call(HttpMethod.POST, "/v1/accounts", operator, new JsonObject().put("ledger", 1).put("code", 1),
        null, 201).getString("id");
    String payer = call(HttpMethod.POST, "/v1/accounts", alice, new JsonObject().put("ledger", 1).put("code", 1),
        null, 201).getString("id");
    call(HttpMethod.POST, "/v1/transfers", operator, new JsonObject().put("debit_account_id", funder)
        .put("credit_account_id", payer).put("amount", "1000").put("ledger", 1).put("code", 1), null, 201);
    HttpResponse<Buffer> pt = web.postAbs(sandbox.baseUrl() + "/sandbox/public_token/create")
        .sendJsonObject(new JsonObject().put("client_id", CLIENT).put("secret", SECRET)
            .put("institution_id", "ins_109508").put("initial_products", new JsonArray().add("transfer"))).await();
    String link = call(HttpMethod.POST, "/v1/linked-accounts", alice, new JsonObject()
        .put("public_token", pt.bodyAsJsonObject().getString("public_token")), null, 201).getString("id");

    HexFormat hex = HexFormat.of();
    SecureRandom random = new SecureRandom();
    String traceId = hex.formatHex(random.generateSeed(16));
    String caller = hex.formatHex(random.generateSeed(8));
    String id = call(HttpMethod.POST, "/v1/payments", alice, new JsonObject().put("from_account_id", payer)
        .put("amount", "250").put("ledger", 1).put("code", 1).put("provider", "plaid")
        .put("linked_account_id", link), "00-" + traceId + "-" + caller + "-01", 202).getString("id");
    Poll.until(Duration.ofSeconds(90), "payment " + id + " completed", () -> "completed".equals(
        call(HttpMethod.GET, "/v1/payments/" + id, alice, null, null, 200).getString("status")));

    // Every span of the payment, once the last step's spans have been exported.
    JsonArray[] trace = new JsonArray[1];
    try {
      Poll.until(Duration.ofSeconds(30), "the payment's trace in Zipkin up to its last step", () -> {
        trace[0] = zipkin.trace(web, traceId);
        // Each node exports on its own schedule, and a node's export can hold a child span without its parent (the
        // request's server span ends after its event-bus send span): wait for every span the checks below read.
        return complete(trace[0], caller, traceId);
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; spans: " + trace[0].stream().map(JsonObject.class::cast)
          .map(s -> s.getString("name") + "@" + tag(s, Tracing.NODE_ATTRIBUTE)).toList(), e);
    }
    List<JsonObject> spans = trace[0].stream().map(JsonObject.class::cast).toList();
    assertThat(spans).allMatch(s -> traceId.equals(s.getString("traceId")));
    Set<String> nodesSeen = spans.stream().map(s -> tag(s, Tracing.NODE_ATTRIBUTE)).collect(Collectors.toSet());
    assertThat(nodesSeen).as("nodes in the trace").contains("gw", "tx");
    JsonObject server = spans.stream().filter(s -> caller.equals(s.getString("parentId"))).findFirst().orElseThrow();
    assertThat(server.getString("kind")).isEqualTo("SERVER");
    assertThat(tag(server, Tracing.NODE_ATTRIBUTE)).isEqualTo("gw");
    // The clustered event bus carried the context: a span on node tx is the child of a send span on node gw.
    Map<String, JsonObject> byId = spans.stream().collect(Collectors.toMap(s -> s.getString("id"), s -> s,
        (x, y) -> x));
    assertThat(spans).anySatisfy(s -> {
      assertThat(tag(s, Tracing.NODE_ATTRIBUTE)).isEqualTo("tx");
      JsonObject parent = byId.get(s.getString("parentId"));
      assertThat(parent).isNotNull();
      assertThat(tag(parent, Tracing.NODE_ATTRIBUTE)).isEqualTo("gw");
    });

    Map<String, JsonObject> steps = spans.stream().filter(s -> tag(s, "saga.step") != null)
        .collect(Collectors.toMap(s -> tag(s, "saga.step"), s -> s, (x, y) -> x));
    assertThat(steps.keySet()).containsAll(STEPS);
    for (JsonObject step : steps.values()) {
      assertThat(tag(step, "service")).isEqualTo("ledgerline");
      assertThat(tag(step, "workflow")).isEqualTo("PaymentWorkflow");
      assertThat(tag(step, "outcome")).isEqualTo("success");
      assertThat(tag(step, Tracing.NODE_ATTRIBUTE)).isEqualTo("tx");
    }
    assertThat(annotations(steps.get("load-payment"))).contains(SagaStepTracing.VALIDATING);
    assertThat(annotations(steps.get("process-external"))).contains(SagaStepTracing.PROCESSING);
    assertThat(annotations(steps.get("reserve-funds"))).contains(SagaStepTracing.UPDATING_LEDGER);

    Set<String> spanIds = spans.stream().map(s -> s.getString("id")).collect(Collectors.toSet());
    List<JsonObject> batches = spans.stream().filter(s -> s.getString("name").startsWith("ledger.batch")).toList();
    assertThat(batches).isNotEmpty().allSatisfy(batch -> {
      assertThat(tag(batch, "ledger.batch.size")).isNotNull();
      assertThat(tag(batch, "ledger.batch.commit_ms")).isNotNull();
      assertThat(tag(batch, "ledger.batch.fsync_ms")).isNotNull();
      // Linked to the ledger request it carried, a span of this trace.
      String links = tag(batch, "ledger.batch.links");
      assertThat(links).isNotNull();
      assertThat(List.of(links.split(","))).anySatisfy(l -> {
        assertThat(l).startsWith(traceId + "-");
        assertThat(spanIds).contains(l.substring(traceId.length() + 1));
      });
    });
  }

  private static final List<String> STEPS = List.of("load-payment", "reserve-funds", "create-pending",
      "process-external", "commit-transfer", "update-balance");

  /** Whether the trace holds every span the test reads: each step's, both nodes, the request's server span, a
   *  node-tx span whose gw parent has arrived, and, for each ledger batch, a span it links to. */
  private static boolean complete(JsonArray trace, String caller, String traceId) {
    List<JsonObject> spans = trace.stream().map(JsonObject.class::cast).toList();
    Map<String, JsonObject> byId = spans.stream().collect(Collectors.toMap(s -> s.getString("id"), s -> s,
        (x, y) -> x));
    List<JsonObject> batches = spans.stream().filter(s -> s.getString("name").startsWith("ledger.batch")).toList();
    // The steps' own spans, tagged by the activity side: the workflow side's span of a step (its name holds the step
    // too) may come in an earlier export.
    Set<String> steps = spans.stream().map(s -> tag(s, "saga.step")).filter(java.util.Objects::nonNull)
        .collect(Collectors.toSet());
    return steps.containsAll(STEPS)
        && spans.stream().anyMatch(s -> caller.equals(s.getString("parentId")))
        && spans.stream().anyMatch(s -> "tx".equals(tag(s, Tracing.NODE_ATTRIBUTE))
            && byId.containsKey(s.getString("parentId"))
            && "gw".equals(tag(byId.get(s.getString("parentId")), Tracing.NODE_ATTRIBUTE)))
        && !batches.isEmpty()
        && batches.stream().allMatch(b -> tag(b, "ledger.batch.links") == null
            || List.of(tag(b, "ledger.batch.links").split(",")).stream().anyMatch(l -> l.startsWith(traceId + "-")
                && byId.containsKey(l.substring(traceId.length() + 1))));
  }

  private static String tag(JsonObject span, String name) {
    JsonObject tags = span.getJsonObject("tags");
    return tags == null ? null : tags.getString(name);
  }

  /** The span's event names (OpenTelemetry's Zipkin exporter writes an event as {@code "name":{attributes}}). */
  private static List<String> annotations(JsonObject span) {
    JsonArray a = span.getJsonArray("annotations");
    return a == null ? List.of() : a.stream().map(JsonObject.class::cast).map(x -> x.getString("value"))
        .map(v -> v.startsWith("\"") ? v.substring(1, v.indexOf('"', 1)) : v).toList();
  }
}
