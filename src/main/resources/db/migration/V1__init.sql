-- Node-level facts (schema owner, first start, ...) that are not part of any domain.
CREATE TABLE ledgerline_meta (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
