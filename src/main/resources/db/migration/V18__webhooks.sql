-- Outbound webhooks (docs/webhooks.md). An endpoint belongs to the subject that registered it; its signing secrets
-- are in vault_tokens (user_id 'webhook:<id>'), never here.
CREATE TABLE webhook_endpoints (
    id               uuid        PRIMARY KEY,
    -- Orders an owner's list and keys its cursor.
    seq              bigserial   NOT NULL UNIQUE,
    owner            text        NOT NULL,
    -- Registered by an operator or admin: receives events about every account, not only the owner's.
    all_accounts     boolean     NOT NULL DEFAULT false,
    url              text        NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    events           text[]      NOT NULL,
    status           text        NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason  text,
    -- Grows at every rotation: a dispatcher's cached secrets of an older version are read again.
    secret_version   integer     NOT NULL DEFAULT 1,
    -- Until then the secret before the last rotation signs too.
    previous_until   timestamptz,
    -- The first failed attempt since the last success; null while the endpoint answers.
    failing_since    timestamptz,
    -- The last successful delivery; null before the first.
    last_success_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner, seq);

-- One message per event, signed and sent byte for byte the same to every endpoint and at every attempt.
CREATE TABLE webhook_messages (
    id         uuid        PRIMARY KEY,
    type       text        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per (endpoint, message): the delivery log. A due row is claimed by moving next_attempt_at past its lease,
-- so a dispatcher that dies leaves it to another once the lease is over.
CREATE TABLE webhook_deliveries (
    id              bigserial   PRIMARY KEY,
    endpoint_id     uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id      uuid        NOT NULL REFERENCES webhook_messages (id),
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    -- When the event committed (its outbox time), for the commit-to-delivery lag.
    occurred_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (endpoint_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id);
