-- Bank links made through a provider (Plaid items): the public part only. The access token of each link is in
-- vault_tokens (kind '<provider>:<id>'), encrypted; deleting that row crypto-shreds it. seq orders a user's links for
-- cursor pagination.
CREATE TABLE linked_accounts (
    id             uuid        PRIMARY KEY,
    seq            bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    owner          text        NOT NULL CHECK (length(owner) BETWEEN 1 AND 256),
    provider       text        NOT NULL CHECK (length(provider) BETWEEN 1 AND 32),
    -- The provider's id of the link (Plaid's item_id): what its webhooks name. Not a secret.
    item_id        text        NOT NULL CHECK (length(item_id) BETWEEN 1 AND 256),
    institution_id text        NOT NULL CHECK (length(institution_id) <= 256),
    -- [{account_id, name, mask, type, subtype}] as the provider reported them when the link was made.
    accounts       jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX linked_accounts_owner ON linked_accounts (owner, seq);
