/** Redis: settings and the embedded redis-server. */
package dev.ledgerline.infra.redis;
