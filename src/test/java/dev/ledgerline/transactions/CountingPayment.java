package dev.ledgerline.transactions;

import dev.ledgerline.transactions.saga.PaymentSagaState;
import dev.ledgerline.transactions.saga.ProviderTransfer;
import dev.ledgerline.transactions.saga.ResolveAction;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A payment workflow that only counts its runs, by payment id: for the tests of how workflows are started (the
 * wiring and the event handler), not of the saga. Each test uses its own payment ids.
 */
public final class CountingPayment implements PaymentWorkflow {
  static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();

  @Override
  public void process(String paymentId) {
    RUNS.computeIfAbsent(paymentId, k -> new AtomicInteger()).incrementAndGet();
  }

  // The saga's signals and query; these tests count starts only.
  @Override
  public void settlementUpdated(ProviderTransfer update) {}

  @Override
  public void cancel() {}

  @Override
  public void resolve(ResolveAction action, String reason) {}

  @Override
  public PaymentSagaState state() {
    return null;
  }
}
