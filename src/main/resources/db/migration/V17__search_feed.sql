-- The search index over transfers (docs/search.md). The transfer indexer's cursor is a row of ledger_feed_cursors
-- (consumer 'search'), which V11 already keeps per consumer and ledger.

-- Amount ranges (min_amount, max_amount) compared as exact numerics.
CREATE INDEX transaction_search_amount ON transaction_search (amount);
