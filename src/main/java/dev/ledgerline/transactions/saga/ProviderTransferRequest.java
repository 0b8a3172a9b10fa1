package dev.ledgerline.transactions.saga;

/** A provider transfer to create; {@code paymentId} is the provider's idempotency key. */
public record ProviderTransferRequest(String paymentId, String provider, String linkedAccountId, String amount,
    String description) {}
