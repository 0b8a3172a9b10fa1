-- Durable cursors of the committed-transfer feed (the ledger's commit order; the cursor is the transfer timestamp,
-- unique and increasing). Kept in PostgreSQL rather than in the ledger's data directory: the TigerBeetle backend has
-- no data directory, and the ledger role may move to another node, which must resume where the last one stopped.
-- One row per consumer and ledger (embedded:<data directory's ledger id>, tigerbeetle:<cluster id>), so a new
-- ledger never inherits an old one's position.
CREATE TABLE ledger_feed_cursors (
    consumer   text        NOT NULL,
    ledger     text        NOT NULL,
    position   bigint      NOT NULL CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, ledger)
);

-- The key that authenticates /v1/stream cursors when feed.cursor-key is not configured: 32 random bytes made by the
-- first gateway that needs one, and read by every other, so a cursor from one node is accepted by all of them.
CREATE TABLE stream_cursor_key (
    id         smallint    PRIMARY KEY CHECK (id = 1),
    key        bytea       NOT NULL CHECK (length(key) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
