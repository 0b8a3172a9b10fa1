package dev.ledgerline.transactions;

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

  @WorkflowMethod(name = TYPE)
  void process(String paymentId);
}
