-- The search index over payments and transfers: one row per transaction, written by the durable consumers of
-- transaction.updated (and later of the committed-transfer feed). A row only ever moves to a higher version, so an
-- event delivered late or twice never puts an older state back.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE transaction_search (
  id                 text PRIMARY KEY,
  kind               text NOT NULL CHECK (kind IN ('payment', 'transfer')),
  status             text NOT NULL,
  -- Every account the transaction touches: searches are limited to the caller's own accounts with &&.
  account_ids        numeric(39, 0)[] NOT NULL,
  -- Exact u128 amounts: compared as numbers, never as floats.
  amount             numeric(39, 0) NOT NULL CHECK (amount >= 0),
  ledger             bigint NOT NULL,
  code               integer NOT NULL,
  description        text NOT NULL DEFAULT '',
  metadata           jsonb NOT NULL DEFAULT '{}',
  provider_reference text,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  version            bigint NOT NULL,
  last_event_id      uuid NOT NULL,
  indexed_at         timestamptz NOT NULL DEFAULT now(),
  -- 'simple': ids, references and names are matched as written, without an English stemmer.
  search             tsvector GENERATED ALWAYS AS (
                       setweight(to_tsvector('simple', description), 'A')
                       || setweight(to_tsvector('simple', coalesce(provider_reference, '')), 'B')
                       || setweight(jsonb_to_tsvector('simple', metadata, '["key", "string", "numeric"]'), 'C')
                     ) STORED
);

CREATE INDEX transaction_search_text ON transaction_search USING gin (search);
-- Typo-tolerant matching on the description (similarity, %, ILIKE).
CREATE INDEX transaction_search_description_trgm ON transaction_search USING gin (description gin_trgm_ops);
CREATE INDEX transaction_search_accounts ON transaction_search USING gin (account_ids);
-- Stable keyset pagination, newest first.
CREATE INDEX transaction_search_created ON transaction_search (created_at DESC, id DESC);
