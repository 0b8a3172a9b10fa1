package dev.ledgerline.transactions.saga;

import java.util.Map;

/**
 * One state change of a payment: the row's new status and step, and the event appended to the event store.
 *
 * @param eventId made by the workflow (deterministic under replay), so a retried write appends the event once
 * @param event the event's name ({@code FundsReserved}, ..., {@code PaymentCompleted} / {@code PaymentCompensated})
 * @param step the step or compensation the change belongs to, or null
 * @param atMillis the workflow's time of the change
 * @param detail what the event says beyond the status: ledger ids, the provider reference, the failure reason
 */
public record PaymentUpdate(String paymentId, String eventId, String event, PaymentStatus status, String step,
    long atMillis, Map<String, String> detail) {}
