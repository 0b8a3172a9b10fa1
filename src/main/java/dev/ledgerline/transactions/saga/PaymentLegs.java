package dev.ledgerline.transactions.saga;

/**
 * The ledger side of a payment: the payer's account, the amount and the provider whose settlement account receives it.
 * Every transfer id is derived from {@code paymentId} and the step ({@link PaymentLedgerIds}).
 */
public record PaymentLegs(String paymentId, String fromAccountId, String amount, int ledger, int code,
    String provider, long holdTimeoutSeconds) {}
