/**
 * Users and their permissions: the store in PostgreSQL, the per-node cache the gateway reads on every request, and
 * the rules that turn roles, grants and denials into effective permissions. The gateway checks; this room decides.
 */
package dev.ledgerline.users;
