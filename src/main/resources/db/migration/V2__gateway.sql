-- The gateway's own records. Money itself lives in the ledger; these say who owns what and remember answers.

-- Who may act on an account: the subject of the token that created it. u128 ids as exact numerics.
CREATE TABLE account_owners (
    account_id numeric(39, 0) PRIMARY KEY,
    owner      text           NOT NULL,
    created_at timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX account_owners_owner ON account_owners (owner);

-- Idempotency keys, scoped per subject. A row is 'in_flight' while its first request runs (lease_until bounds
-- how long a crashed node can hold it) and 'done' once its final answer is stored.
CREATE TABLE idempotency_keys (
    subject      text        NOT NULL,
    key          text        NOT NULL,
    route        text        NOT NULL,
    request_hash bytea       NOT NULL,
    state        text        NOT NULL CHECK (state IN ('in_flight', 'done')),
    status       integer,
    content_type text,
    body         bytea,
    lease_until  timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (subject, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
