-- Users: who a token's subject is, and what they may do. The token proves identity; this table decides rights, so
-- a user can be suspended, or given one more permission, without waiting for their tokens to expire.
CREATE TABLE users (
    id         text        PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 256),
    status     text        NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    roles      text[]      NOT NULL CHECK (cardinality(roles) > 0),
    grants     text[]      NOT NULL DEFAULT '{}',
    denies     text[]      NOT NULL DEFAULT '{}',
    -- Increases with every change; a node keeps the cached copy with the highest version it has seen.
    version    bigint      NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL
);
CREATE INDEX users_status ON users (status, id);

-- Every change to a user, with who made it and why: the audit trail ("who suspended this user, when").
CREATE TABLE user_events (
    user_id    text        NOT NULL REFERENCES users (id),
    version    bigint      NOT NULL,
    event_id   uuid        NOT NULL UNIQUE,
    type       text        NOT NULL CHECK (type IN ('user.created', 'user.updated')),
    actor      text        NOT NULL,
    reason     text,
    change     jsonb       NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, version)
);
