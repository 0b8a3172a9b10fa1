/**
 * The public API's routes: {@code ApiRouter} shows each route's whole chain (auth, revocation check and rate limit,
 * body, role, idempotency, handler) in one place; the account and transfer handlers sit beside it.
 */
package dev.ledgerline.gateway.routes;
