/**
 * The transactions role: payment sagas on Temporal ({@link dev.ledgerline.transactions.PaymentWorkflow} on task queue
 * {@link dev.ledgerline.transactions.TransactionsApi#TASK_QUEUE}) and the durable consumer of {@code transaction.*}
 * events ({@link dev.ledgerline.transactions.TransactionEventHandler}).
 */
package dev.ledgerline.transactions;
