/**
 * Observability: OpenTelemetry tracing for a node ({@link dev.ledgerline.observability.Tracing}), the trace context
 * across the event bus, Temporal and the log, and the span helpers other rooms use. It depends on no other room, so
 * any room may use it.
 */
package dev.ledgerline.observability;
