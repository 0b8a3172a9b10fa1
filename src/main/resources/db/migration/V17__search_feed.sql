-- The search index over transfers (docs/search.md). The transfer indexer's cursor is a row of ledger_feed_cursors
-- (consumer 'search'), which V11 already keeps per consumer and ledger.

-- Amount ranges (min_amount, max_amount) compared as exact numerics.
CREATE INDEX transaction_search_amount ON transaction_search (amount);

-- Each row once per account it touches, in each account's newest-first order. A user's search reads only the rows
-- of their own accounts through this table, so its cost follows the user's own transactions, not the index's size:
-- the GIN index on account_ids cannot give rows in time order, and the planner cannot tell how few rows a user's
-- accounts hold, so it would walk the whole time index filtering by account instead.
CREATE TABLE transaction_search_by_account (
  account_id numeric(39, 0) NOT NULL,
  created_at timestamptz    NOT NULL,
  id         text           NOT NULL,
  PRIMARY KEY (account_id, created_at, id)
);

CREATE FUNCTION transaction_search_by_account_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM transaction_search_by_account
    WHERE account_id = ANY (OLD.account_ids) AND created_at = OLD.created_at AND id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO transaction_search_by_account (account_id, created_at, id)
    SELECT DISTINCT a, NEW.created_at, NEW.id FROM unnest(NEW.account_ids) a;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER transaction_search_by_account_insert AFTER INSERT OR DELETE ON transaction_search
  FOR EACH ROW EXECUTE FUNCTION transaction_search_by_account_sync();
-- Most updates change the status only: the trigger runs when the accounts or the time change.
CREATE TRIGGER transaction_search_by_account_update AFTER UPDATE ON transaction_search
  FOR EACH ROW WHEN (OLD.account_ids IS DISTINCT FROM NEW.account_ids OR OLD.created_at IS DISTINCT FROM NEW.created_at)
  EXECUTE FUNCTION transaction_search_by_account_sync();

INSERT INTO transaction_search_by_account (account_id, created_at, id)
SELECT DISTINCT a, t.created_at, t.id FROM transaction_search t, unnest(t.account_ids) a;
