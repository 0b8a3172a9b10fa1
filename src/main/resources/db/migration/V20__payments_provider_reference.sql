-- Which payment a provider transfer belongs to, keyed by the provider's reference: the settlement webhook's lookup
-- (provider event -> payment) is one primary-key read instead of a scan of payments. Written together with
-- payments.provider_reference, in the same statement.
CREATE TABLE payment_provider_references (
    provider_reference text        PRIMARY KEY,
    payment_id         uuid        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- Where a provider's transfer-event sync (/transfer/event/sync) has read up to: every event at or before after_id
-- has been signalled to its payment. Shared by the transactions nodes, and kept across restarts so that a restarted
-- node does not read the provider's whole event history again.
CREATE TABLE provider_event_cursors (
    name       text        PRIMARY KEY,
    after_id   bigint      NOT NULL CHECK (after_id >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Payments recorded before this migration: their references.
INSERT INTO payment_provider_references (provider_reference, payment_id)
SELECT provider_reference, id FROM payments WHERE provider_reference IS NOT NULL
ON CONFLICT (provider_reference) DO NOTHING;
