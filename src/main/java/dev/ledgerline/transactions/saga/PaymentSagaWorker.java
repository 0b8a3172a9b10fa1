package dev.ledgerline.transactions.saga;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.LedgerEventStore;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.transactions.PaymentStore;
import io.temporal.worker.Worker;
import java.util.function.Consumer;

/**
 * What a transactions node's worker runs for the payment saga: the workflow, and the ledger, record and provider
 * activities built once from the node's parts. Hand the result to {@code TransactionsVerticle}.
 */
public final class PaymentSagaWorker {
  /**
   * Decimal places of ledger amounts in the provider's currency unit: ledgers count cents, so 250 is sent as 2.50.
   */
  public static final int AMOUNT_SCALE = 2;

  private PaymentSagaWorker() {}

  /** @param provider the external step over the provider layer (its breaker and client) */
  public static Consumer<Worker> registration(NodeContext node, ProviderActivities provider) {
    LedgerClient ledger = LedgerClient.create(node);
    PaymentStore store = new PaymentStore(node.services().pool(), EventPublisher.create(node.config()),
        LedgerEventStore.create(ledger, node.services().pool(), node.config()));
    SagaSettings settings = SagaSettings.from(node.config().payments());
    return worker -> {
      worker.registerWorkflowImplementationTypes(PaymentWorkflowImpl.class);
      worker.registerActivitiesImplementations(new LedgerSagaActivitiesImpl(ledger),
          new PaymentRecordActivitiesImpl(store, ledger, settings, node.registry()), provider);
    };
  }
}
