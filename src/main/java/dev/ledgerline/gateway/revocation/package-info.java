/**
 * Token revocation: the store (Redis in front of PostgreSQL), the per-request check and {@code POST /v1/auth/revoke}.
 */
package dev.ledgerline.gateway.revocation;
