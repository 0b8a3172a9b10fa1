package dev.ledgerline.transactions;

import dev.ledgerline.transactions.saga.PaymentSagaState;
import dev.ledgerline.transactions.saga.ProviderTransfer;
import dev.ledgerline.transactions.saga.ResolveAction;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One payment's saga, started as workflow {@code transaction-<payment id>} on task queue
 * {@code transaction-processing}. The payment row is the record; the workflow reads the payment from it, so a re-drive
 * needs nothing but the id.
 */
@WorkflowInterface
public interface PaymentWorkflow {
  /** Runs the payment to {@code completed}, {@code compensated} or {@code failed}. */
  @WorkflowMethod
  void run(String paymentId);

  /** The provider's webhook: the transfer's new state. Polling {@code /transfer/get} finds it without the webhook. */
  @SignalMethod
  void settlementUpdated(ProviderTransfer update);

  /** Cancels the payment and compensates; ignored once the external payment has succeeded. */
  @SignalMethod
  void cancel();

  /** An operator's answer to {@code needs_attention}: retry the failed compensation, or mark it resolved. */
  @SignalMethod
  void resolve(ResolveAction action, String reason);

  /** The status and every step with its times, ledger ids, provider reference and failure reason. */
  @QueryMethod
  PaymentSagaState state();
}
