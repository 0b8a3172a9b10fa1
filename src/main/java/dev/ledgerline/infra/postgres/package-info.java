/**
 * PostgreSQL: settings and URLs, Flyway migrations, and the embedded server (its data directory, the recovery of a
 * stale postmaster, the process).
 */
package dev.ledgerline.infra.postgres;
