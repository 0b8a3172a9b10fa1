/**
 * Tracing: a node's OpenTelemetry set-up ({@link dev.ledgerline.tracing.Tracing}) and the trace context across the
 * event bus, the outbox, Temporal and the log. It depends on nothing but the configuration, so every room (the
 * gateway, the ledger, the saga) can use it; docs/observability.md, "Tracing".
 */
package dev.ledgerline.tracing;
