-- The provider authorization a payment's transfer is created from, recorded before any create is sent: a payment
-- without one never sent a create, so its compensation has nothing to look for at the provider. With one, an
-- unanswered create is settled by cancelling the authorization (unused) or finding its transfer (used).
ALTER TABLE payments ADD COLUMN provider_authorization text;
