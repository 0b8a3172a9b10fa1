-- The queryable side of the ledger event store. The ledger (a zero-amount transfer per event) is the source of truth;
-- a row here is written after its transfer committed, and verify-events rebuilds a missing one from the ledger.
CREATE TABLE ledger_events (
    aggregate_id     numeric(39) NOT NULL,
    version          bigint      NOT NULL CHECK (version > 0),
    event_type       text        NOT NULL,
    payload          jsonb       NOT NULL,
    ledger_timestamp bigint      NOT NULL,
    transfer_id      numeric(39) NOT NULL UNIQUE,
    PRIMARY KEY (aggregate_id, version)
);

-- An event's payload from before its ledger write until its row exists: the ledger holds no payload, so this is what
-- a repair rebuilds a row from when the writer died between the two writes. One writer per (aggregate, version).
CREATE TABLE ledger_event_payloads (
    transfer_id  numeric(39) PRIMARY KEY,
    aggregate_id numeric(39) NOT NULL,
    version      bigint      NOT NULL,
    event_type   text        NOT NULL,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
