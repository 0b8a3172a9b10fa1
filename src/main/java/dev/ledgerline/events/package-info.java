/**
 * Domain events: the transactional outbox and its relay (pub/sub on the event bus, durable consumers with cursors in
 * PostgreSQL, at least once and in order per aggregate), and the ledger event store (one zero-amount transfer per
 * event, with a queryable copy in PostgreSQL).
 */
package dev.ledgerline.events;
