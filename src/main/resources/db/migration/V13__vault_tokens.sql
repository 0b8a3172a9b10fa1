-- Provider access tokens, each encrypted with AES-256-GCM under one key of the vault's key ring. The row id, the
-- user, the kind and the key id are bound into the ciphertext as associated data, so a ciphertext copied to another
-- row or user does not decrypt. Deleting a row crypto-shreds its token: nothing else holds it.
CREATE TABLE vault_tokens (
    -- A fresh random id on every store, so a replaced token's old ciphertext never matches the new row.
    id         uuid        PRIMARY KEY,
    user_id    text        NOT NULL CHECK (length(user_id) BETWEEN 1 AND 256),
    kind       text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    key_id     text        NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
    nonce      bytea       NOT NULL,
    -- The GCM ciphertext followed by its 128-bit tag.
    ciphertext bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- When `ledgerline vault rotate` last re-encrypted the row under another key; null until then.
    rotated_at timestamptz,
    UNIQUE (user_id, kind)
);
-- Rotation looks for the rows not yet under the active key.
CREATE INDEX vault_tokens_key ON vault_tokens (key_id, id);

-- A check value for each key id the vault has used (an HMAC of a fixed text under the key, which reveals nothing
-- of the key), so a key id that is later configured with different bytes is named as the wrong key instead of
-- every token under it looking tampered with.
CREATE TABLE vault_keys (
    key_id     text        PRIMARY KEY CHECK (length(key_id) BETWEEN 1 AND 64),
    key_check  bytea       NOT NULL,
    first_used timestamptz NOT NULL DEFAULT now()
);
