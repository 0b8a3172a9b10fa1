package dev.ledgerline.ledger;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One span per ledger batch. A batch carries the requests of many traces, so it is linked to each request's span;
 * it is also a child of its first request's span, so a trace backend without links (Zipkin) still shows it in that
 * request's trace, and the links are repeated as the attribute {@code ledger.batch.links} ({@code traceid-spanid}).
 */
final class BatchSpans {
  static final AttributeKey<Long> SIZE = AttributeKey.longKey("ledger.batch.size");
  static final AttributeKey<Long> REQUESTS = AttributeKey.longKey("ledger.batch.requests");
  /** From submitting the batch to its durable answer: the log write and its fsync. */
  static final AttributeKey<Double> COMMIT_MS = AttributeKey.doubleKey("ledger.batch.commit_ms");
  /** The fsync of the batch's log write (the embedded engine; absent when the backend cannot tell). */
  static final AttributeKey<Double> FSYNC_MS = AttributeKey.doubleKey("ledger.batch.fsync_ms");
  static final AttributeKey<List<String>> LINKS = AttributeKey.stringArrayKey("ledger.batch.links");

  /** No tracing: nothing is captured and no span is made. */
  static final BatchSpans OFF = new BatchSpans(null);

  private final Tracer tracer;

  BatchSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  /** The span of the request being queued (null when off or without a trace). */
  SpanContext capture() {
    if (tracer == null) return null;
    SpanContext c = Span.current().getSpanContext();
    return c.isValid() ? c : null;
  }

  /** Starts the batch's span over the requests' spans (in batch order; nulls are requests without a trace). */
  Span start(String operation, List<SpanContext> requests) {
    if (tracer == null) return null;
    SpanContext head = null;
    List<String> links = new ArrayList<>();
    SpanBuilder b = tracer.spanBuilder("ledger.batch " + operation);
    for (SpanContext c : requests) {
      if (c == null) continue;
      if (head == null) head = c;
      b.addLink(c);
      links.add(c.getTraceId() + "-" + c.getSpanId());
    }
    if (head == null) return null;
    b.setParent(Context.root().with(Span.wrap(head)));
    b.setAttribute(REQUESTS, (long) requests.size());
    b.setAttribute(LINKS, links);
    return b.startSpan();
  }

  /** Ends the batch's span with its size, commit time and (when known, {@code >= 0}) fsync time. */
  static void end(Span span, int events, long tookNanos, long fsyncNanos, Throwable failure) {
    if (span == null) return;
    double nanosPerMs = TimeUnit.MILLISECONDS.toNanos(1);
    span.setAttribute(SIZE, (long) events);
    span.setAttribute(COMMIT_MS, tookNanos / nanosPerMs);
    if (fsyncNanos >= 0) span.setAttribute(FSYNC_MS, fsyncNanos / nanosPerMs);
    if (failure != null) span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
    span.end();
  }
}
