package dev.ledgerline.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;

/**
 * An outbound event-bus interceptor for sends from threads that are not Vert.x's. There, Vert.x's tracer sees no
 * parent (it keeps the current span in the Vert.x context) and leaves the message bare; the span current on the
 * sending thread (a Temporal activity's) is written into the message's headers instead, and the receiver's tracer
 * continues the trace from them. Sends from Vert.x threads are left to Vert.x's tracer.
 */
final class OffContextTraceHeaders implements Handler<DeliveryContext<Object>> {
  private final ContextPropagators propagators;

  OffContextTraceHeaders(ContextPropagators propagators) {
    this.propagators = propagators;
  }

  @Override
  public void handle(DeliveryContext<Object> delivery) {
    if (Vertx.currentContext() == null) {
      Context current = Context.current();
      MultiMap headers = delivery.message().headers();
      if (Span.fromContext(current).getSpanContext().isValid() && !headers.contains(TraceContext.TRACEPARENT)) {
        propagators.getTextMapPropagator().inject(current, headers, MultiMap::set);
      }
    }
    delivery.next();
  }
}
