package dev.ledgerline.transactions.saga;

import java.util.List;
import java.util.Map;

/**
 * What the workflow's query answers.
 *
 * @param ledgerTransfers the ledger transfer ids by step ({@link PaymentLedgerIds})
 * @param providerReference the provider's transfer id, once it exists
 * @param failureReason why the payment did not complete, or null
 */
public record PaymentSagaState(String paymentId, PaymentStatus status, List<SagaStep> steps,
    Map<String, String> ledgerTransfers, String providerReference, String failureReason, boolean cancelRequested) {}
