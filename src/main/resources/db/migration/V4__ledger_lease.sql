-- Write authority over an embedded ledger. PostgreSQL is the consistent store here (Hazelcast is not partition-safe):
-- exactly one holder at a time, a fencing epoch that grows with every change of holder, and the data the lease
-- belongs to (ledger_id of the data directory, last_op the holder last reported), so a node whose ledger is another
-- one, or behind, never becomes the writer.
CREATE TABLE ledger_lease (
    name        text        PRIMARY KEY,
    ledger_id   uuid        NOT NULL,
    holder      text        NOT NULL,
    holder_node text        NOT NULL,
    epoch       bigint      NOT NULL CHECK (epoch > 0),
    last_op     bigint      NOT NULL CHECK (last_op >= 0),
    expires_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
