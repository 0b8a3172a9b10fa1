/**
 * Idempotency keys: the route handler that claims, replays or runs a request, the PostgreSQL store of answers and
 * its micro-batcher, the holder of the claims' lock session, and the transfer routes' keys in Redis with the ledger
 * as the record of what was written ({@link dev.ledgerline.gateway.idempotency.LedgerIdempotent}).
 */
package dev.ledgerline.gateway.idempotency;
