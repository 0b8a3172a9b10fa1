package dev.ledgerline.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.ConfigResolver;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.config.LedgerlineConfig.TracingExporter;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.HexFormat;
import java.util.Map;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A traced node honours an incoming {@code traceparent} and names the trace in its problem answers; the
 * {@code tracing.*} keys are typed and checked.
 */
class TracingTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .set("tracing.exporter", "logging").set("tracing.sampling-ratio", "0.5").build();

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  @Test
  void anIncomingTraceparentIsHonouredAndItsTraceIdIsInTheProblemAnswer() {
    String traceId = hex(16);
    HttpResponse<Buffer> r = node.web().get("/v1/accounts/1")
        .putHeader(TraceContext.TRACEPARENT, "00-" + traceId + "-" + hex(8) + "-01").send().await();
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(r.bodyAsJsonObject().getString("trace_id")).isEqualTo(traceId);
  }

  @Test
  void aRequestWithoutTraceparentStartsATraceOfItsOwn() {
    String traceId = hex(16);
    HttpResponse<Buffer> r = node.web().get("/v1/accounts/1").send().await();
    JsonObject problem = r.bodyAsJsonObject();
    assertThat(problem.getString("trace_id")).matches("[0-9a-f]{32}").isNotEqualTo(traceId)
        .isNotEqualTo("00000000000000000000000000000000");
  }

  @Test
  void tracingIsOffByDefaultAndItsKeysAreTyped() {
    LedgerlineConfig defaults = resolve(Map.of());
    assertThat(defaults.tracing().enabled()).isFalse();
    assertThat(defaults.tracing().exporter()).isEqualTo(TracingExporter.NONE);
    assertThat(Tracing.start(defaults.tracing(), "n").enabled()).isFalse();
    LedgerlineConfig.Tracing t = resolve(Map.of("tracing.exporter", "zipkin", "tracing.endpoint",
        "http://127.0.0.1:9411/api/v2/spans", "tracing.sampling-ratio", "0.25", "tracing.service-name", "pay",
        "tracing.resource-attributes", "{\"deployment.environment\":\"prod\"}")).tracing();
    assertThat(t).isEqualTo(new LedgerlineConfig.Tracing(TracingExporter.ZIPKIN, "http://127.0.0.1:9411/api/v2/spans",
        0.25, "pay", Map.of("deployment.environment", "prod")));
  }

  @Test
  void badTracingValuesAreRefusedNamingTheKey() {
    Map<String, String> bad = Map.of("tracing.exporter", "jaeger", "tracing.sampling-ratio", "1.5",
        "tracing.endpoint", "ftp://collector", "tracing.service-name", "has space",
        "tracing.resource-attributes", "{\"k\":1}");
    bad.forEach((key, value) -> assertThatThrownBy(() -> resolve(Map.of(key, value)))
        .as(key + " = " + value).isInstanceOf(ConfigException.class).hasMessageContaining(key));
  }

  private static LedgerlineConfig resolve(Map<String, String> sets) {
    return new ConfigResolver().resolve(new JsonObject(), Map.of(), Map.of(), sets);
  }
}
