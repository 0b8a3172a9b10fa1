package dev.ledgerline.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import dev.ledgerline.config.ConfigResolver;
import dev.ledgerline.node.Logging;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Log lines written under a span carry its trace and span ids: JSON lines as fields, plain lines after the logger. */
class TraceLogFieldsTest {
  private static Tracing tracing;

  @BeforeAll
  static void tracing() {
    tracing = Tracing.start(new ConfigResolver().resolve(new JsonObject(), Map.of(), Map.of(),
        Map.of("tracing.exporter", "logging", "tracing.sampling-ratio", "1.0")).tracing(), "log-test");
  }

  @AfterAll
  static void restore() throws Exception {
    tracing.close();
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(ctx);
    configurator.doConfigure(TraceLogFieldsTest.class.getResource("/logback.xml"));
  }

  @Test
  void aJsonLineHasTheTraceAndSpanIds() {
    Logging.apply("json", "INFO", true);
    Span span = tracing.tracer().spanBuilder("json-line").startSpan();
    String out;
    try (Scope ignored = span.makeCurrent()) {
      out = logged("paying");
    } finally {
      span.end();
    }
    JsonObject line = new JsonObject(out.lines().filter(l -> l.contains("paying")).findFirst().orElseThrow());
    JsonObject mdc = line.getJsonObject("mdc");
    assertThat(mdc.getString(TraceLogFields.TRACE_ID)).isEqualTo(span.getSpanContext().getTraceId());
    assertThat(mdc.getString(TraceLogFields.SPAN_ID)).isEqualTo(span.getSpanContext().getSpanId());
    // A line after the span has ended carries no ids.
    JsonObject after = new JsonObject(logged("idle").lines().filter(l -> l.contains("idle")).findFirst()
        .orElseThrow());
    assertThat(after.getJsonObject("mdc", new JsonObject()).getString(TraceLogFields.TRACE_ID)).isNull();
  }

  @Test
  void aPlainLineHasTheTraceId() throws Exception {
    restore();
    tracing();
    Span span = tracing.tracer().spanBuilder("plain-line").startSpan();
    String out;
    try (Scope ignored = span.makeCurrent()) {
      out = logged("settled");
    } finally {
      span.end();
    }
    assertThat(out).contains(" trace=" + span.getSpanContext().getTraceId() + " - settled");
  }

  private static String logged(String message) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      LoggerFactory.getLogger(TraceLogFieldsTest.class).info(message);
    } finally {
      System.setOut(stdout);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
