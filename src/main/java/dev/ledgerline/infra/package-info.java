/**
 * The node's data services ({@link dev.ledgerline.infra.DataServices}: PostgreSQL and Redis, embedded or external)
 * and what their embedded servers share: binaries, child processes, run-as user, typed errors.
 */
package dev.ledgerline.infra;
