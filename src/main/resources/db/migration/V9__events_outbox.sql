-- The transactional outbox. A row is written in the publisher's own transaction, so a rolled-back change publishes
-- nothing. Rows are read in (order_xid, position) order and only once order_xid is below the oldest running
-- transaction: a bigserial alone is handed out at insert, not at commit, and a cursor over it would skip rows whose
-- transaction commits late. order_xid is the greatest transaction id among this event and the events before it of the
-- same aggregate, so an aggregate's events can never be read out of sequence order.
CREATE TABLE events_aggregates (
    aggregate_id text   PRIMARY KEY,
    last_seq     bigint NOT NULL CHECK (last_seq > 0),
    last_order   bigint NOT NULL
);

CREATE TABLE events_outbox (
    position       bigserial   PRIMARY KEY,
    order_xid      bigint      NOT NULL,
    event_id       uuid        NOT NULL UNIQUE,
    event_type     text        NOT NULL,
    aggregate_id   text        NOT NULL,
    aggregate_seq  bigint      NOT NULL CHECK (aggregate_seq > 0),
    occurred_at    timestamptz NOT NULL,
    correlation_id text        NOT NULL,
    causation_id   text        NOT NULL,
    source         text        NOT NULL,
    payload        jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    delivered_at   timestamptz,
    UNIQUE (aggregate_id, aggregate_seq)
);
CREATE INDEX events_outbox_order ON events_outbox (order_xid, position);
CREATE INDEX events_outbox_delivered ON events_outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- One cursor per consumer (the relay's pub/sub feed is one too): everything at or before it was delivered.
CREATE TABLE events_consumers (
    name         text        PRIMARY KEY,
    cursor_xid   bigint      NOT NULL DEFAULT 0,
    cursor_pos   bigint      NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Events a consumer failed on events.max-attempts times, with the last error; an operator redelivers them.
CREATE TABLE events_dead (
    id             bigserial   PRIMARY KEY,
    consumer       text        NOT NULL,
    event_id       uuid        NOT NULL,
    event_type     text        NOT NULL,
    aggregate_id   text        NOT NULL,
    aggregate_seq  bigint      NOT NULL,
    occurred_at    timestamptz NOT NULL,
    correlation_id text        NOT NULL,
    causation_id   text        NOT NULL,
    source         text        NOT NULL,
    payload        jsonb       NOT NULL,
    attempts       integer     NOT NULL,
    error          text        NOT NULL,
    parked_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consumer, event_id)
);
CREATE INDEX events_dead_aggregate ON events_dead (consumer, aggregate_id, aggregate_seq);

-- Consumers dedupe by event id: a consumer records the id in the same transaction as its effect.
CREATE TABLE events_processed (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Wakes the relay at commit (NOTIFY is delivered only when the inserting transaction commits).
CREATE FUNCTION events_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ledgerline_events', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER events_outbox_notify AFTER INSERT ON events_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION events_outbox_notify();
