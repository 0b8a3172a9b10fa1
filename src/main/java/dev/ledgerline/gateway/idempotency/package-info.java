/**
 * Idempotency keys: the route handler that claims, replays or runs a request, the PostgreSQL store of answers and
 * its micro-batcher, and the holder of the claims' lock session.
 */
package dev.ledgerline.gateway.idempotency;
