package dev.ledgerline.tracing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.opentelemetry.api.trace.SpanContext;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Puts the current trace and span ids into the MDC ({@value #TRACE_ID}, {@value #SPAN_ID}) just before each log event
 * is made, so every line logged while a request's span is current carries them, in plain and JSON lines alike.
 *
 * <p>A turbo filter runs on the logging thread before the event exists, which is the one moment the span (kept in
 * the Vert.x context, not in a thread local) and the MDC (a thread local) can be joined. It always answers NEUTRAL;
 * it clears the keys when there is no trace, so an id never leaks onto a later line of another request.
 */
public final class TraceLogFields extends TurboFilter {
  public static final String TRACE_ID = "trace_id";
  public static final String SPAN_ID = "span_id";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    SpanContext span = TraceContext.current();
    if (span.isValid()) {
      MDC.put(TRACE_ID, span.getTraceId());
      MDC.put(SPAN_ID, span.getSpanId());
    } else if (MDC.get(TRACE_ID) != null) {
      MDC.remove(TRACE_ID);
      MDC.remove(SPAN_ID);
    }
    return FilterReply.NEUTRAL;
  }
}
