-- Revoked access tokens: the durable record. Redis holds the same entries as the fast path every node reads, and is
-- refilled from here when it loses them (a restart, FLUSHALL). A row outlives its token's exp by the validator's
-- leeway; a purge deletes older ones.
CREATE TABLE revoked_tokens (
    jti        text        PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 256),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
