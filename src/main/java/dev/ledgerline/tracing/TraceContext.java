package dev.ledgerline.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.Map;

/**
 * The current trace context in W3C form: the ids for logs and problem answers, and a {@code traceparent} that can be
 * stored with work that leaves the process through PostgreSQL (the outbox) and be resumed by whoever picks it up.
 */
public final class TraceContext {
  /** The W3C header; Vert.x's tracer reads and writes it on HTTP and event-bus messages. */
  public static final String TRACEPARENT = "traceparent";

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private TraceContext() {}

  /** The current span's context: invalid when there is no trace (tracing off, or outside any request). */
  public static SpanContext current() {
    return Span.current().getSpanContext();
  }

  /** The current trace id (32 hex digits), or null without a trace. */
  public static String traceId() {
    SpanContext c = current();
    return c.isValid() ? c.getTraceId() : null;
  }

  /** The current {@code traceparent}, or null without a trace. */
  public static String traceparent() {
    if (!current().isValid()) return null;
    Map<String, String> carrier = new HashMap<>(2);
    W3C.inject(Context.current(), carrier, Map::put);
    return carrier.get(TRACEPARENT);
  }

  /** The context a stored {@code traceparent} names (the root context when it is null or malformed). */
  public static Context fromTraceparent(String traceparent) {
    if (traceparent == null) return Context.root();
    return W3C.extract(Context.root(), Map.of(TRACEPARENT, traceparent), MAP_GETTER);
  }
}
