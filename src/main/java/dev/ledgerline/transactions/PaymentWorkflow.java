package dev.ledgerline.transactions;

import dev.ledgerline.transactions.saga.PaymentSagaState;
import dev.ledgerline.transactions.saga.ProviderTransfer;
import dev.ledgerline.transactions.saga.ResolveAction;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One payment's saga, run as workflow {@code transaction-<payment id>} on {@link TransactionsApi#TASK_QUEUE}. Its
 * implementation reads everything else from the payment row, so the start carries only the id and a re-drive can start
 * it again with nothing more.
 */
@WorkflowInterface
public interface PaymentWorkflow {
  /** The workflow type name, fixed so that renaming the interface never orphans running workflows. */
  String TYPE = "PaymentWorkflow";

  /** Runs the payment to {@code completed}, {@code compensated} or {@code failed}. */
  @WorkflowMethod(name = TYPE)
  void process(String paymentId);

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
