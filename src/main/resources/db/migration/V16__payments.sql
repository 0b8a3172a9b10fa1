-- Payments: the record of every payment saga. An in-process Temporal server forgets everything on a restart, so this
-- row, not the workflow, is what a re-drive starts from. Ids and amounts are u128 values, kept as numeric(39,0).
CREATE TABLE payments (
    id                 uuid          PRIMARY KEY,
    owner              text          NOT NULL,
    status             text          NOT NULL CHECK (status IN ('pending', 'reserved', 'external_pending',
                                         'committed', 'completed', 'compensating', 'compensated', 'failed',
                                         'needs_attention')),
    from_account_id    numeric(39,0) NOT NULL CHECK (from_account_id > 0),
    amount             numeric(39,0) NOT NULL CHECK (amount > 0),
    ledger             bigint        NOT NULL CHECK (ledger BETWEEN 1 AND 4294967295),
    code               integer       NOT NULL CHECK (code BETWEEN 1 AND 65535),
    provider           text          NOT NULL,
    linked_account_id  text          NOT NULL,
    description        text,
    metadata           jsonb,
    cancel_requested   boolean       NOT NULL DEFAULT false,
    provider_reference text,
    failure_reason     text,
    -- Every state change the saga recorded, oldest first: {event, status, step, at, detail}.
    steps              jsonb         NOT NULL DEFAULT '[]'::jsonb,
    -- Grows with every change; the version of the transaction.updated snapshots (search and cache keep the highest).
    version            bigint        NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at         timestamptz   NOT NULL DEFAULT now(),
    updated_at         timestamptz   NOT NULL DEFAULT now()
);
-- A user's payments by status, newest first (ids are UUIDv7, so id order is creation order).
CREATE INDEX payments_owner_status ON payments (owner, status, id DESC);
CREATE INDEX payments_owner ON payments (owner, id DESC);
-- What a re-drive at start looks for.
CREATE INDEX payments_open ON payments (id) WHERE status NOT IN ('completed', 'compensated', 'failed');

-- The saga's updates already applied, by the event id the workflow gave them: a retried write applies once.
CREATE TABLE payment_updates (
    event_id   uuid        PRIMARY KEY,
    payment_id uuid        NOT NULL REFERENCES payments (id),
    applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_updates_payment ON payment_updates (payment_id);
