/**
 * Observability: how a node's meters are set up and pushed ({@link dev.ledgerline.observability.NodeMeters}), the
 * meters that read cluster-wide state on a timer ({@link dev.ledgerline.observability.StateGauges}), and the operator
 * console on the management port ({@link dev.ledgerline.observability.ConsoleRoutes}). The domain meters themselves
 * live with their domain (ledger, providers, cache, events); this room only reads them. docs/observability.md.
 */
package dev.ledgerline.observability;
