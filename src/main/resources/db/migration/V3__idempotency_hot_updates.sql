-- Completing a key rewrites its row (state, status, body). Leaving room on each page lets PostgreSQL do that as a
-- heap-only update: no new index entries for the primary key or the expiry index, on every request.
ALTER TABLE idempotency_keys SET (fillfactor = 70);
