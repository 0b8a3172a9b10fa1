-- A claim names the node process that holds it: the key of a session-level advisory lock that process holds on one
-- long-lived connection for its whole life. When the process dies, PostgreSQL ends its session and drops the lock, so
-- its claims can be taken over at once instead of after lease_until. Rows without a holder (written before this
-- column existed) still wait for their lease.
ALTER TABLE idempotency_keys ADD COLUMN holder bigint;

-- Whether the advisory lock with this bigint key is held in this database (pg_locks shows a bigint key as its high
-- half in classid, its low half in objid, with objsubid = 1). Read only when a claim meets a row in flight.
CREATE FUNCTION idempotency_holder_alive(holder bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = (holder >> 32) AND l.objid::bigint = (holder & 4294967295))
$$;
