package dev.ledgerline.transactions.saga;

import dev.ledgerline.transactions.Payment;
import dev.ledgerline.transactions.PaymentWorkflow;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Functions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The payment saga. Each step's compensation is registered before the step runs (as in Temporal's booking-saga
 * sample: a step whose outcome is unknown is undone too, so every compensation tolerates "never happened"), and
 * compensations run in reverse order. Once the commit has posted both pending transfers, their voids are retired:
 * a posted transfer is undone by the commit's reversal, never by a void.
 *
 * <p>Workflow code only: no I/O, no clock, no randomness except through {@link Workflow}.
 */
public class PaymentWorkflowImpl implements PaymentWorkflow {
  /** Counter of compensations that failed after their retries and wait for an operator. */
  public static final String NEEDS_ATTENTION_METRIC = "ledgerline_payments_needs_attention";
  // Runs started before it replay as they ran (on a cluster): each state change written before the next step.
  private static final String FAST_PATH = "saga-fast-path";
  // Runs started before it wrote each state change as its own write, one after the other, and polled the provider
  // through the Temporal server.
  private static final String COALESCED_RECORDS = "saga-coalesced-records-local-polls";
  // Runs started before it made every attempt of the provider's create a regular activity.
  private static final String LOCAL_CREATE = "saga-local-first-create";
  // Runs started before it completed in the task that ran their last step.
  private static final String OWN_LAST_TASK = "saga-completes-in-a-task-of-its-own";
  // Runs started before it took a provider create whose answer never came for one that made nothing.
  private static final String FINDS_UNANSWERED = "saga-cancel-finds-an-unanswered-create";

  // Ledger calls are answered within ledger.request-timeout (plus the bus margin); an attempt longer than this is lost.
  private static final Duration LEDGER_ATTEMPT = Duration.ofSeconds(60);
  private static final Duration PROVIDER_ATTEMPT = Duration.ofSeconds(30);
  private static final Duration RECORD_ATTEMPT = Duration.ofSeconds(30);
  private static final RetryOptions BACKOFF = RetryOptions.newBuilder().setInitialInterval(Duration.ofSeconds(1))
      .setBackoffCoefficient(2).setMaximumInterval(Duration.ofSeconds(30)).build();

  // The row is the record: writing it waits out a PostgreSQL outage instead of giving up.
  private final PaymentRecordActivities records = Workflow.newLocalActivityStub(PaymentRecordActivities.class,
      LocalActivityOptions.newBuilder().setStartToCloseTimeout(RECORD_ATTEMPT).setRetryOptions(BACKOFF).build());

  private LedgerSagaActivities ledgerSteps;
  private LedgerSagaActivities ledgerCommit;
  private LedgerSagaActivities ledgerUndo;
  private ProviderActivities providerCreate;
  private ProviderActivities providerFirstCreate;
  private ProviderActivities providerPoll;
  private ProviderActivities providerUndo;
  private PaymentRecordActivities publishing;

  private final List<Compensation> compensations = new ArrayList<>();
  private final List<SagaStep> steps = new ArrayList<>();
  private final Map<String, String> ledgerTransfers = new LinkedHashMap<>();
  private String paymentId;
  private PaymentOrder order;
  private PaymentLegs legs;
  private PaymentStatus status = PaymentStatus.PENDING;
  private String providerReference;
  private String failureReason;
  private boolean cancelRequested;
  private boolean externalSucceeded;
  private boolean republishOnCompensation;
  private boolean awaitingResolve;
  private ProviderTransfer settlement;
  private Resolution resolution;
  private PendingRecord recording;
  private boolean fastPath;
  private boolean coalesced;
  private boolean findsUnanswered;
  private int changes;
  // State changes not yet in the row, oldest first; a change leaves only once its write succeeded.
  private final List<PaymentUpdate> unwritten = new ArrayList<>();
  private boolean writerStarted;

  @Override
  public void process(String paymentId) {
    this.paymentId = paymentId;
    fastPath = Workflow.getVersion(FAST_PATH, Workflow.DEFAULT_VERSION, 1) >= 1;
    coalesced = fastPath && Workflow.getVersion(COALESCED_RECORDS, Workflow.DEFAULT_VERSION, 1) >= 1;
    findsUnanswered = coalesced && Workflow.getVersion(FINDS_UNANSWERED, Workflow.DEFAULT_VERSION, 1) >= 1;
    order = records.load(paymentId);
    if (order.status().terminal()) {
      status = order.status();
      return;
    }
    legs = order.legs();
    stubs(order.settings(), coalesced);
    for (String step : PaymentLedgerIds.STEPS) {
      ledgerTransfers.put(step, PaymentLedgerIds.transfer(paymentId, step).toString());
    }
    // A cancel accepted, or a compensation begun, before a restart: the re-driven run does not go forward again.
    // It registers every compensation, each of which tolerates a step that never happened.
    cancelRequested |= order.cancelRequested();
    if (cancelRequested || order.status() == PaymentStatus.COMPENSATING
        || order.status() == PaymentStatus.NEEDS_ATTENTION) {
      register(PaymentLedgerIds.VOID_RESERVE, () -> ledgerUndo.voidReserve(legs));
      register(PaymentLedgerIds.VOID_PENDING, () -> ledgerUndo.voidPending(legs));
      register("cancel-external", this::cancelExternal);
      register("reverse-commit", this::reverseCommit);
      Workflow.newDetachedCancellationScope(() -> {
        compensate(cancelRequested ? "cancelled" : "re-driven after a restart while compensating");
        awaitRecord();
      }).run();
      return;
    }
    try {
      forward();
    } catch (Abort abort) {
      if (abort.nothingToCompensate) {
        fail(abort.reason);
      } else {
        Workflow.newDetachedCancellationScope(() -> compensate(abort.reason)).run();
      }
    } catch (CanceledFailure cancelled) {
      // The workflow itself was cancelled (an operator through Temporal): undo what was done, outside the scope.
      Workflow.newDetachedCancellationScope(() -> compensate("workflow cancelled")).run();
    }
    // The run ends only once its last state change is in the row.
    Workflow.newDetachedCancellationScope(this::awaitRecord).run();
    // Temporal refuses to complete a run in a task during which a signal came (UnhandledCommand) and runs that task
    // again, every local activity in it included: with a provider that settles at once, the settlement webhook's
    // signal comes while the saga is still busy, and the whole saga ran twice. The run ends in a task of its own,
    // after a timer; a task that ends with the timer is accepted whatever came meanwhile.
    if (coalesced && Workflow.getVersion(OWN_LAST_TASK, Workflow.DEFAULT_VERSION, 1) >= 1) {
      Workflow.newDetachedCancellationScope(() -> Workflow.sleep(Duration.ofMillis(1))).run();
    }
  }

  private void forward() {
    checkCancel();
    register(PaymentLedgerIds.VOID_RESERVE, () -> ledgerUndo.voidReserve(legs));
    step(PaymentLedgerIds.RESERVE, () -> ledgerSteps.reserveFunds(legs), true);
    change("FundsReserved", PaymentStatus.RESERVED, PaymentLedgerIds.RESERVE, ids(PaymentLedgerIds.RESERVE));

    checkCancel();
    register(PaymentLedgerIds.VOID_PENDING, () -> ledgerUndo.voidPending(legs));
    step(PaymentLedgerIds.PENDING, () -> ledgerSteps.createPending(legs), false);
    change("PendingTransferCreated", PaymentStatus.RESERVED, PaymentLedgerIds.PENDING, ids(PaymentLedgerIds.PENDING));

    checkCancel();
    register("cancel-external", this::cancelExternal);
    change("ExternalPaymentRequested", PaymentStatus.EXTERNAL_PENDING, "process-external", Map.of());
    external();
    externalSucceeded = true;
    // A cancel that raced the provider's success came too late: the money has moved and the payment goes through.
    cancelRequested = false;
    change(Payment.EXTERNAL_SUCCEEDED, PaymentStatus.EXTERNAL_PENDING, "process-external",
        Map.of("provider_reference", String.valueOf(providerReference)));

    register("reverse-commit", this::reverseCommit);
    step("commit-transfer", () -> ledgerCommit.commitTransfer(legs), false);
    retireVoids();
    change("TransferCommitted", PaymentStatus.COMMITTED, "commit-transfer",
        ids(PaymentLedgerIds.COMMIT_RESERVE, PaymentLedgerIds.COMMIT_PENDING));

    // Derived data: its compensation publishes again once the money has been returned (see compensate).
    republishOnCompensation = true;
    step("update-balance", () -> publishing.publishUpdated(paymentId, PaymentStatus.COMPLETED), false);
    change("PaymentCompleted", PaymentStatus.COMPLETED, "update-balance", Map.of());
  }

  /** Step 3: the provider's transfer, then its settlement by signal or by polling, within the external deadline. */
  private void external() {
    int index = start("process-external", false);
    long deadline = Workflow.currentTimeMillis() + order.settings().externalDeadline().toMillis();
    ProviderTransferRequest request = transferRequest();
    ProviderTransfer transfer = null;
    // The first attempt is a local activity: it runs beside the write of the state changes before it, where a
    // regular activity would be scheduled only once that write is done, and it spares the two trips through the
    // Temporal server. Should it fail for any reason but a refusal, the regular activity takes over and retries
    // with backoff until the external deadline, as before. (The create is idempotent by the payment id, so an
    // attempt run again is harmless.)
    boolean localFirst = coalesced && Workflow.getVersion(LOCAL_CREATE, Workflow.DEFAULT_VERSION, 1) >= 1;
    if (localFirst) {
      try {
        transfer = create(index, providerFirstCreate, request);
      } catch (ActivityFailure f) {
        if (f.getCause() instanceof ApplicationFailure af && af.isNonRetryable()) {
          throw failed(index, new Abort("process-external: " + describe(f), false));
        }
      }
    }
    if (transfer == null) {
      ProviderActivities retried = providerCreate;
      if (localFirst) {
        // The retries get what is left of the external deadline.
        long left = deadline - Workflow.currentTimeMillis();
        if (left <= 0) {
          throw failed(index, new Abort("external deadline of " + order.settings().externalDeadline()
              + " passed before the provider answered", false));
        }
        retried = provider(Duration.ofMillis(left), BACKOFF);
      }
      try {
        transfer = create(index, retried, request);
      } catch (ActivityFailure f) {
        throw failed(index, new Abort("process-external: " + describe(f), false));
      }
    }
    providerReference = transfer.reference();
    while (true) {
      if (settlement != null) {
        transfer = settlement;
        settlement = null;
        if (transfer.reference() != null) providerReference = transfer.reference();
      }
      if (transfer.outcome() == ProviderTransfer.Outcome.SUCCEEDED) {
        finish(index, "done", "provider reference " + providerReference);
        return;
      }
      if (transfer.outcome() == ProviderTransfer.Outcome.FAILED) {
        throw failed(index, new Abort("provider: " + transfer.status()
            + (transfer.failureReason() == null ? "" : " (" + transfer.failureReason() + ")"), false));
      }
      if (cancelRequested) throw failed(index, new Abort("cancelled", false));
      long left = deadline - Workflow.currentTimeMillis();
      if (left <= 0) {
        throw failed(index, new Abort("external deadline of " + order.settings().externalDeadline()
            + " passed before the provider settled", false));
      }
      Duration wait = Duration.ofMillis(Math.min(left, order.settings().settlementPoll().toMillis()));
      Workflow.await(wait, () -> cancelRequested || settlement != null);
      if (cancelRequested || settlement != null) continue;
      try {
        transfer = providerPoll.getTransfer(order.provider(), paymentId, providerReference);
      } catch (ActivityFailure f) {
        // Polling is best effort: the webhook or the next poll finds the settlement.
      }
    }
  }

  private ProviderTransferRequest transferRequest() {
    return new ProviderTransferRequest(paymentId, order.provider(), order.linkedAccountId(), order.amount(),
        order.description());
  }

  /**
   * The external step's compensation. With a reference, that transfer is cancelled. Without one, the create's answer
   * never came (a timeout, a cancel while it ran, a restart): it may still have made a transfer, which
   * cancel-external-unanswered finds from what the payment's row recorded before each create. A refusal is no
   * exception: an earlier attempt, whose answer was lost, may have made a transfer before a later one was refused.
   */
  private void cancelExternal() {
    if (!findsUnanswered || providerReference != null) {
      providerUndo.cancelTransfer(order.provider(), paymentId, providerReference);
      return;
    }
    providerUndo.cancelUnanswered(transferRequest());
  }

  /**
   * One create through {@code stub}, in its own cancellation scope: a cancel while it runs (or retries) cancels it
   * and ends the step.
   */
  private ProviderTransfer create(int index, ProviderActivities stub, ProviderTransferRequest request) {
    List<Promise<ProviderTransfer>> created = new ArrayList<>(1);
    CancellationScope call = Workflow.newCancellationScope(
        () -> created.add(Async.function(stub::createTransfer, request)));
    call.run();
    Workflow.await(() -> created.get(0).isCompleted() || cancelRequested);
    if (!created.get(0).isCompleted()) {
      call.cancel();
      throw failed(index, new Abort("cancelled", false));
    }
    return created.get(0).get();
  }

  /** Runs the compensations in reverse order; a compensation that keeps failing waits for an operator. */
  private void compensate(String reason) {
    failureReason = reason;
    change("CompensationStarted", PaymentStatus.COMPENSATING, null, Map.of("reason", reason));
    for (int i = compensations.size() - 1; i >= 0; i--) {
      Compensation c = compensations.get(i);
      if (!c.retired) undo(c.name, c.action);
    }
    if (republishOnCompensation) {
      undo("update-balance-again", () -> publishing.publishUpdated(paymentId, PaymentStatus.COMPENSATED));
    }
    change("PaymentCompensated", PaymentStatus.COMPENSATED, null, Map.of("reason", reason));
  }

  private void undo(String name, Functions.Proc action) {
    while (true) {
      int index = start(name, true);
      try {
        action.apply();
        finish(index, "done", null);
        change("CompensationDone", PaymentStatus.COMPENSATING, name, Map.of());
        return;
      } catch (ActivityFailure f) {
        String why = describe(f);
        finish(index, "failed", why);
        Workflow.getMetricsScope().counter(NEEDS_ATTENTION_METRIC).inc(1);
        change("PaymentNeedsAttention", PaymentStatus.NEEDS_ATTENTION, name, Map.of("reason", name + ": " + why));
        // The row says needs_attention before the operator is waited for (the resolve route checks it).
        awaitRecord();
        awaitingResolve = true;
        Workflow.await(() -> resolution != null);
        Resolution r = resolution;
        resolution = null;
        awaitingResolve = false;
        change("PaymentResolved", PaymentStatus.COMPENSATING, name,
            Map.of("action", r.action.name().toLowerCase(Locale.ROOT), "reason", r.reason));
        if (r.action == ResolveAction.MARK_RESOLVED) {
          steps.add(new SagaStep(name, true, "resolved", Workflow.currentTimeMillis(), Workflow.currentTimeMillis(),
              r.reason));
          return;
        }
      }
    }
  }

  /**
   * The commit's compensation. Once it has reversed a posted commit, the holds are no longer there to void, and the
   * balances are published again at the end (also when a re-driven run finds the commit).
   */
  private void reverseCommit() {
    if (ledgerUndo.reverseCommit(legs)) {
      retireVoids();
      republishOnCompensation = true;
    }
  }

  /** Both pending transfers are posted: only the reversal may undo them, never a void. */
  private void retireVoids() {
    for (Compensation c : compensations) {
      if (c.name.equals(PaymentLedgerIds.VOID_RESERVE) || c.name.equals(PaymentLedgerIds.VOID_PENDING)) {
        c.retired = true;
      }
    }
  }

  private void fail(String reason) {
    failureReason = reason;
    change("PaymentFailed", PaymentStatus.FAILED, null, Map.of("reason", reason));
  }

  /** Registers {@code action} as the undo of the step about to run. */
  private void register(String name, Functions.Proc action) {
    compensations.add(new Compensation(name, action));
  }

  /**
   * Runs a forward step. Its failure aborts the saga; {@code refusalFails} makes a business refusal (insufficient
   * funds, a refused account) end the payment as failed, because nothing was written.
   */
  private void step(String name, Functions.Proc action, boolean refusalFails) {
    int index = start(name, false);
    try {
      action.apply();
      finish(index, "done", null);
    } catch (ActivityFailure f) {
      String type = f.getCause() instanceof ApplicationFailure af ? af.getType() : null;
      boolean refused = SagaFailures.INSUFFICIENT_FUNDS.equals(type) || SagaFailures.LEDGER_REFUSED.equals(type);
      throw failed(index, new Abort(name + ": " + describe(f), refusalFails && refused));
    }
  }

  private void checkCancel() {
    if (cancelRequested) throw new Abort("cancelled", false);
  }

  private Abort failed(int index, Abort abort) {
    finish(index, "failed", abort.reason);
    return abort;
  }

  private int start(String name, boolean compensation) {
    long now = Workflow.currentTimeMillis();
    steps.add(new SagaStep(name, compensation, "running", now, 0, null));
    return steps.size() - 1;
  }

  private void finish(int index, String state, String detail) {
    steps.set(index, steps.get(index).finish(state, Workflow.currentTimeMillis(), detail));
  }

  /**
   * Records a state change in the row (and the event store) while the saga goes on to its next step: the write and
   * the steps overlap. One writer takes the changes in order; the changes made while a write is under way go
   * together in the next one (one PostgreSQL transaction), so the saga never waits for the row between its steps,
   * only where the row must be ahead ({@link #awaitRecord}). Nothing depends on the row being ahead of the ledger or
   * the provider: a re-drive recognizes every step done from their state.
   */
  private void change(String event, PaymentStatus newStatus, String step, Map<String, String> detail) {
    status = newStatus;
    PaymentUpdate update = new PaymentUpdate(paymentId, eventId(), event, newStatus, step,
        Workflow.currentTimeMillis(), detail);
    if (coalesced) {
      unwritten.add(update);
      if (!writerStarted) {
        writerStarted = true;
        // Detached: cancelling the workflow never cuts a write short.
        Workflow.newDetachedCancellationScope(() -> Async.procedure(this::writeChanges)).run();
      }
      return;
    }
    awaitRecord();
    if (!fastPath) {
      records.record(update);
      return;
    }
    recording = new PendingRecord(update, Async.procedure(records::record, update));
  }

  /**
   * The n-th state change of this run: the same id however often the run's code is executed again. Not
   * {@code Workflow.randomUUID}: the SDK draws local activities' ids from the same sequence, so a workflow task
   * executed again (a signal came while it completed) that polled the provider a different number of times would
   * give a change another id, and a write of the first execution, still retrying, would apply the change twice.
   */
  private String eventId() {
    String seed = "payment-update:" + paymentId + ":" + Workflow.getInfo().getRunId() + ":" + changes++;
    return java.util.UUID.nameUUIDFromBytes(seed.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
  }

  /** The writer of {@link #unwritten}: each write takes every change waiting at its start. */
  private void writeChanges() {
    while (true) {
      Workflow.await(() -> !unwritten.isEmpty());
      List<PaymentUpdate> batch = List.copyOf(unwritten);
      try {
        records.recordAll(batch);
      } catch (ActivityFailure | CanceledFailure cut) {
        // Written again: each change is applied once by its event id, however often it is written.
        continue;
      }
      unwritten.subList(0, batch.size()).clear();
    }
  }

  /** Waits for the last state change to be written; one cut short (the workflow was cancelled) is written again. */
  private void awaitRecord() {
    if (coalesced) {
      Workflow.await(unwritten::isEmpty);
      return;
    }
    if (recording == null) return;
    PendingRecord r = recording;
    recording = null;
    try {
      r.written.get();
    } catch (ActivityFailure | CanceledFailure cut) {
      // Applied once by its event id, however often it is written.
      records.record(r.update);
    }
  }

  private Map<String, String> ids(String... steps) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String s : steps) out.put(s, ledgerTransfers.get(s));
    return out;
  }

  private static String describe(ActivityFailure f) {
    Throwable cause = f.getCause();
    if (cause instanceof ApplicationFailure af) {
      return af.getType() + ": " + af.getOriginalMessage();
    }
    if (cause instanceof TimeoutFailure tf) {
      return "gave up retrying (" + tf.getTimeoutType().name().toLowerCase(Locale.ROOT) + ")";
    }
    return cause == null ? f.getMessage() : cause.getMessage();
  }

  private void stubs(SagaSettings s, boolean localPolls) {
    ledgerSteps = ledger(s.holdTimeout());
    // The commit retries until the ledger answers for good: its pending transfers expire after the hold timeout,
    // which is an answer too, so the outcome is always known before anything is compensated.
    ledgerCommit = ledger(null);
    ledgerUndo = ledger(s.compensationRetry());
    providerCreate = provider(s.externalDeadline(), BACKOFF);
    // One attempt, bounded like an attempt of the regular activity; the regular activity retries after it.
    providerFirstCreate = localPolls ? Workflow.newLocalActivityStub(ProviderActivities.class, LocalActivityOptions
        .newBuilder().setStartToCloseTimeout(PROVIDER_ATTEMPT)
        .setRetryOptions(RetryOptions.newBuilder(BACKOFF).setMaximumAttempts(1).build()).build()) : null;
    // A poll is one short, read-only call, tried once (the next poll or the webhook follows): a local activity spares
    // it the two trips through the Temporal server.
    providerPoll = localPolls ? Workflow.newLocalActivityStub(ProviderActivities.class, LocalActivityOptions
        .newBuilder().setStartToCloseTimeout(PROVIDER_ATTEMPT)
        .setRetryOptions(RetryOptions.newBuilder(BACKOFF).setMaximumAttempts(1).build()).build())
        : provider(null, RetryOptions.newBuilder(BACKOFF).setMaximumAttempts(1).build());
    providerUndo = provider(s.compensationRetry(), BACKOFF);
    publishing = Workflow.newLocalActivityStub(PaymentRecordActivities.class, LocalActivityOptions.newBuilder()
        .setStartToCloseTimeout(RECORD_ATTEMPT).setScheduleToCloseTimeout(s.compensationRetry())
        .setRetryOptions(BACKOFF).build());
  }

  // Ledger steps are short and idempotent: local activities save the round trips through the Temporal server.
  private static LedgerSagaActivities ledger(Duration giveUpAfter) {
    LocalActivityOptions.Builder b = LocalActivityOptions.newBuilder().setStartToCloseTimeout(LEDGER_ATTEMPT)
        .setRetryOptions(BACKOFF);
    if (giveUpAfter != null) b.setScheduleToCloseTimeout(giveUpAfter);
    return Workflow.newLocalActivityStub(LedgerSagaActivities.class, b.build());
  }

  private static ProviderActivities provider(Duration giveUpAfter, RetryOptions retry) {
    ActivityOptions.Builder b = ActivityOptions.newBuilder().setStartToCloseTimeout(PROVIDER_ATTEMPT)
        .setRetryOptions(retry);
    if (giveUpAfter != null) b.setScheduleToCloseTimeout(giveUpAfter);
    return Workflow.newActivityStub(ProviderActivities.class, b.build());
  }

  @Override
  public void settlementUpdated(ProviderTransfer update) {
    settlement = update;
  }

  @Override
  public void cancel() {
    // Once the provider has moved the money the payment goes through; a late cancel changes nothing.
    if (!externalSucceeded) cancelRequested = true;
  }

  @Override
  public void resolve(ResolveAction action, String reason) {
    if (awaitingResolve && resolution == null) resolution = new Resolution(action, reason == null ? "" : reason);
  }

  @Override
  public PaymentSagaState state() {
    return new PaymentSagaState(paymentId, status, List.copyOf(steps), new LinkedHashMap<>(ledgerTransfers),
        providerReference, failureReason, cancelRequested);
  }

  private static final class Compensation {
    final String name;
    final Functions.Proc action;
    boolean retired;

    Compensation(String name, Functions.Proc action) {
      this.name = name;
      this.action = action;
    }
  }

  private record Resolution(ResolveAction action, String reason) {}

  private record PendingRecord(PaymentUpdate update, Promise<Void> written) {}

  /** Leaves the forward steps; caught in {@link #process}, never thrown out of the workflow. */
  private static final class Abort extends RuntimeException {
    final String reason;
    final boolean nothingToCompensate;

    Abort(String reason, boolean nothingToCompensate) {
      super(reason, null, false, false);
      this.reason = reason;
      this.nothingToCompensate = nothingToCompensate;
    }
  }
}
