-- The saga's create step already knew the transfer's final status (settled or failed) when it recorded the reference:
-- the settlement webhook then has nothing to tell the workflow, and does not signal it (a signal that races the
-- saga's last workflow task only makes Temporal run that task again).
ALTER TABLE payment_provider_references ADD COLUMN outcome_known boolean NOT NULL DEFAULT false;
