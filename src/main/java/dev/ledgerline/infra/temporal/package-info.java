/**
 * Temporal for the payment sagas: {@link dev.ledgerline.infra.temporal.TemporalService} connects to the configured
 * target (the in-process test server by default, or a Temporal cluster) and runs this node's worker.
 */
package dev.ledgerline.infra.temporal;
