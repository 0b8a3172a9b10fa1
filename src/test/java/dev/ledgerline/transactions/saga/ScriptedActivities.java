package dev.ledgerline.transactions.saga;

import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every activity of the saga, answering from a script: each call is recorded by its activity name, and a step can be
 * told to refuse (non-retryable) or fail transiently, once or for good. Unscripted calls succeed.
 */
final class ScriptedActivities implements LedgerSagaActivities, ProviderActivities, PaymentRecordActivities {
  static final SagaSettings SETTINGS = new SagaSettings(Duration.ofSeconds(2), Duration.ofMinutes(15),
      Duration.ofMinutes(1), Duration.ofSeconds(2));

  /** What a scripted call does instead of succeeding. */
  record Fault(String type) {
    static Fault refuse(String type) {
      return new Fault(type);
    }

    static final Fault TRANSIENT = new Fault(null);

    RuntimeException exception(String step) {
      return type == null ? new IllegalStateException(step + ": transient failure")
          : ApplicationFailure.newNonRetryableFailure(step + ": refused", type);
    }
  }

  final List<String> calls = new CopyOnWriteArrayList<>();
  final List<PaymentUpdate> updates = new CopyOnWriteArrayList<>();
  /** The number of changes in each coalesced write, in order. */
  final List<Integer> writes = new CopyOnWriteArrayList<>();
  private final Map<String, Deque<Fault>> once = new HashMap<>();
  private final Map<String, Fault> always = new HashMap<>();
  volatile PaymentOrder order = order(PaymentStatus.PENDING, false);
  volatile ProviderTransfer created = settled();
  volatile ProviderTransfer polled = settled();
  volatile String cancelledReference;
  /** Run inside each publish, after it was counted (a test's way to do something while the saga's task runs). */
  volatile Runnable duringPublish = () -> { };
  /** Whether the commit is posted in the ledger (by this saga's commit-transfer, or before a re-drive). */
  volatile boolean committed;

  static ProviderTransfer settled() {
    return new ProviderTransfer("ref-1", "settled", ProviderTransfer.Outcome.SUCCEEDED, null);
  }

  static PaymentOrder order(PaymentStatus status, boolean cancelRequested) {
    return new PaymentOrder("pay-1", "alice", "1001", "250", 7, 1, "plaid", "link-1", "rent", status,
        cancelRequested, SETTINGS);
  }

  synchronized ScriptedActivities failOnce(String step, Fault fault) {
    once.computeIfAbsent(step, s -> new ArrayDeque<>()).add(fault);
    return this;
  }

  synchronized ScriptedActivities failAlways(String step, Fault fault) {
    always.put(step, fault);
    return this;
  }

  /**
   * Each step once, in the order of its first call. Retries repeat a step, and so may a replay: local activities whose
   * results were not yet in the history when a signal arrived run again (they are idempotent for that reason).
   */
  List<String> steps() {
    return calls.stream().distinct().toList();
  }

  List<String> events() {
    return updates.stream().map(PaymentUpdate::event).toList();
  }

  private void call(String step) {
    calls.add(step);
    Fault f;
    synchronized (this) {
      Deque<Fault> q = once.get(step);
      f = q != null && !q.isEmpty() ? q.poll() : always.get(step);
    }
    if (f != null) throw f.exception(step);
  }

  @Override
  public void reserveFunds(PaymentLegs legs) {
    call("reserve-funds");
  }

  @Override
  public void createPending(PaymentLegs legs) {
    call("create-pending");
  }

  @Override
  public void commitTransfer(PaymentLegs legs) {
    call("commit-transfer");
    committed = true;
  }

  @Override
  public void voidReserve(PaymentLegs legs) {
    call("void-reserve");
  }

  @Override
  public void voidPending(PaymentLegs legs) {
    call("void-pending");
  }

  @Override
  public boolean reverseCommit(PaymentLegs legs) {
    call("reverse-commit");
    return committed;
  }

  @Override
  public ProviderTransfer createTransfer(ProviderTransferRequest request) {
    call("process-external");
    return created;
  }

  @Override
  public ProviderTransfer getTransfer(String provider, String paymentId, String reference) {
    call("get-external");
    return polled;
  }

  @Override
  public void cancelTransfer(String provider, String paymentId, String reference) {
    call("cancel-external");
    cancelledReference = reference;
  }

  @Override
  public void cancelUnanswered(ProviderTransferRequest request) {
    call("cancel-external-unanswered");
  }

  @Override
  public PaymentOrder load(String paymentId) {
    return order;
  }

  @Override
  public void record(PaymentUpdate update) {
    updates.add(update);
  }

  @Override
  public void recordAll(List<PaymentUpdate> batch) {
    writes.add(batch.size());
    updates.addAll(batch);
  }

  @Override
  public void publishUpdated(String paymentId, PaymentStatus status) {
    call("update-balance:" + status.wireName());
    duringPublish.run();
  }
}
