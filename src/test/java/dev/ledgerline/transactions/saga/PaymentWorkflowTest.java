package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.Poll;
import dev.ledgerline.transactions.PaymentWorkflow;
import dev.ledgerline.transactions.saga.ScriptedActivities.Fault;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The saga on Temporal's test environment (time skipping) with scripted activities: which compensations run, in which
 * order, for a failure at each step; needs_attention and the operator's resolve; cancel; the external deadline.
 */
class PaymentWorkflowTest {
  private static final String QUEUE = "transaction-processing";
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private ScriptedActivities activities;

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(PaymentWorkflowImpl.class);
    activities = new ScriptedActivities();
    worker.registerActivitiesImplementations(activities);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private PaymentWorkflow workflow() {
    return client.newWorkflowStub(PaymentWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("transaction-pay-1").build());
  }

  /** Runs the saga to its end and answers its final state. */
  private PaymentSagaState run() {
    PaymentWorkflow wf = workflow();
    wf.process("pay-1");
    return wf.state();
  }

  /** Starts the saga without waiting; the test signals it and then waits with {@link #result}. */
  private PaymentWorkflow startAsync() {
    PaymentWorkflow wf = workflow();
    WorkflowClient.start(wf::process, "pay-1");
    return wf;
  }

  private static PaymentSagaState result(PaymentWorkflow wf) {
    WorkflowStub.fromTyped(wf).getResult(Void.class);
    return wf.state();
  }

  @Test
  void theHappyPathRunsTheFiveStepsAndCompletes() {
    PaymentSagaState s = run();

    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "process-external",
        "commit-transfer", "update-balance:completed");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPLETED);
    assertThat(s.providerReference()).isEqualTo("ref-1");
    assertThat(s.ledgerTransfers()).containsEntry("reserve-funds",
        PaymentLedgerIds.transfer("pay-1", "reserve-funds").toString());
    assertThat(s.steps()).extracting(SagaStep::state).containsOnly("done");
    assertThat(activities.events()).containsExactly("FundsReserved", "PendingTransferCreated",
        "ExternalPaymentRequested", "ExternalPaymentSucceeded", "TransferCommitted", "PaymentCompleted");
    assertThat(activities.updates).extracting(PaymentUpdate::status).last().isEqualTo(PaymentStatus.COMPLETED);
    // Two changes with no step between them go to the row in one write (with more, when the write before was slow);
    // every change is written exactly once.
    assertThat(activities.writes).anyMatch(n -> n >= 2);
    assertThat(activities.writes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(6);
  }

  /**
   * A settlement webhook whose signal comes while the saga's last task runs (a provider that settles at once): the
   * run still ends without Temporal refusing that task, so nothing in it runs twice (before, the balances were
   * published twice, as two transaction.updated events, and every step of the task ran again).
   */
  @Test
  void aSignalDuringTheLastTaskMakesNothingRunTwice() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean sent = new java.util.concurrent.atomic.AtomicBoolean();
    activities.duringPublish = () -> {
      if (sent.compareAndSet(false, true)) {
        client.newWorkflowStub(PaymentWorkflow.class, "transaction-pay-1").settlementUpdated(settledAgain());
      }
    };
    PaymentSagaState s = run();

    assertThat(sent).isTrue();
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPLETED);
    assertThat(activities.calls).containsOnlyOnce("update-balance:completed", "commit-transfer", "reserve-funds");
    var history = client.fetchHistory("transaction-pay-1");
    assertThat(history.getEvents()).extracting(e -> e.getEventType())
        .contains(io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        .doesNotContain(io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    WorkflowReplayer.replayWorkflowExecution(history, PaymentWorkflowImpl.class);
  }

  private static ProviderTransfer settledAgain() {
    return new ProviderTransfer("ref-1", "settled", ProviderTransfer.Outcome.SUCCEEDED, null);
  }

  static Stream<Arguments> failureAtEachStep() {
    String reserve = "reserve-funds";
    String pending = "create-pending";
    String external = "process-external";
    String commit = "commit-transfer";
    String publish = "update-balance:completed";
    return Stream.of(
        // failing step, fault, the calls in order (forward steps, then compensations in reverse order)
        Arguments.of(reserve, Fault.TRANSIENT, List.of(reserve, "void-reserve")),
        Arguments.of(pending, Fault.refuse(SagaFailures.LEDGER_REFUSED),
            List.of(reserve, pending, "void-pending", "void-reserve")),
        // A refused create has no reference: what the row recorded says whether any attempt made a transfer.
        Arguments.of(external, Fault.refuse(SagaFailures.PROVIDER_DECLINED),
            List.of(reserve, pending, external, "cancel-external-unanswered", "void-pending", "void-reserve")),
        Arguments.of(commit, Fault.refuse(SagaFailures.LEDGER_REFUSED),
            List.of(reserve, pending, external, commit, "reverse-commit", "cancel-external", "void-pending",
                "void-reserve")),
        // After the commit the holds are posted: a reversal undoes them, never a void; the balances are published
        // again once the money is back.
        Arguments.of(publish, Fault.refuse("PublishFailed"),
            List.of(reserve, pending, external, commit, publish, "reverse-commit", "cancel-external",
                "update-balance:compensated")));
  }

  @ParameterizedTest(name = "{0} fails")
  @MethodSource("failureAtEachStep")
  void aFailureAtEachStepRunsExactlyTheCompensationsOfTheStepsBeforeItInReverseOrder(String step, Fault fault,
      List<String> calls) {
    activities.failAlways(step, fault);

    PaymentSagaState s = run();

    assertThat(activities.steps()).containsExactlyElementsOf(calls);
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
    assertThat(s.failureReason()).startsWith(step.replace(":completed", ""));
    assertThat(activities.events()).startsWith("FundsReserved".equals(activities.events().get(0))
        ? "FundsReserved" : "CompensationStarted").endsWith("PaymentCompensated");
    assertThat(s.steps()).filteredOn(SagaStep::compensation).extracting(SagaStep::state).containsOnly("done");
  }

  @Test
  void insufficientFundsFailsThePaymentWithNothingToCompensate() {
    activities.failAlways("reserve-funds", Fault.refuse(SagaFailures.INSUFFICIENT_FUNDS));

    PaymentSagaState s = run();

    assertThat(activities.steps()).containsExactly("reserve-funds");
    assertThat(s.status()).isEqualTo(PaymentStatus.FAILED);
    assertThat(s.failureReason()).contains(SagaFailures.INSUFFICIENT_FUNDS);
    assertThat(activities.events()).containsExactly("PaymentFailed");
  }

  @Test
  void aCompensationThatKeepsFailingWaitsInNeedsAttentionUntilAnOperatorRetriesIt() throws Exception {
    activities.failAlways("create-pending", Fault.refuse(SagaFailures.LEDGER_REFUSED))
        .failOnce("void-pending", Fault.refuse("LedgerDown"));
    PaymentWorkflow wf = startAsync();

    Poll.until(PATIENCE, "needs_attention", () -> wf.state().status() == PaymentStatus.NEEDS_ATTENTION);
    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "void-pending");
    assertThat(activities.events()).contains("PaymentNeedsAttention");
    assertThat(wf.state().steps()).last().extracting(SagaStep::state).isEqualTo("failed");

    wf.resolve(ResolveAction.RETRY, "ledger is back");
    PaymentSagaState s = result(wf);

    assertThat(activities.calls).containsExactly("reserve-funds", "create-pending", "void-pending", "void-pending",
        "void-reserve");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
    assertThat(activities.events()).containsSubsequence("PaymentNeedsAttention", "PaymentResolved",
        "CompensationDone", "CompensationDone", "PaymentCompensated");
    // The recorded history replays on the workflow code without a non-determinism error.
    WorkflowReplayer.replayWorkflowExecution(client.fetchHistory("transaction-pay-1"), PaymentWorkflowImpl.class);
  }

  @Test
  void anOperatorMayMarkAFailedCompensationResolvedAndTheRestStillRun() {
    activities.failAlways("create-pending", Fault.refuse(SagaFailures.LEDGER_REFUSED))
        .failAlways("void-pending", Fault.refuse("LedgerDown"));
    PaymentWorkflow wf = startAsync();

    Poll.until(PATIENCE, "needs_attention", () -> wf.state().status() == PaymentStatus.NEEDS_ATTENTION);
    wf.resolve(ResolveAction.MARK_RESOLVED, "voided by hand, ticket 42");
    PaymentSagaState s = result(wf);

    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "void-pending", "void-reserve");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
    assertThat(s.steps()).filteredOn(step -> step.state().equals("resolved")).singleElement()
        .satisfies(step -> assertThat(step.detail()).isEqualTo("voided by hand, ticket 42"));
  }

  /**
   * The create's answer never came (the provider is down, then the cancel stops the step): a transfer it may have made
   * is looked for under the payment's keys (cancel-external-unanswered), not taken for none. The history replays.
   */
  @Test
  void aCancelBeforeTheExternalStepSucceededCompensatesWhileTheProviderIsDown() throws Exception {
    // The breaker is open: the external step retries, and the cancel stops it.
    activities.failAlways("process-external", Fault.TRANSIENT);
    PaymentWorkflow wf = startAsync();

    Poll.until(PATIENCE, "the external step runs", () -> activities.calls.contains("process-external"));
    wf.cancel();
    PaymentSagaState s = result(wf);

    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "process-external",
        "cancel-external-unanswered", "void-pending", "void-reserve");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
    assertThat(s.failureReason()).isEqualTo("cancelled");
    WorkflowReplayer.replayWorkflowExecution(client.fetchHistory("transaction-pay-1"), PaymentWorkflowImpl.class);
  }

  @Test
  void aCancelWhileThePaymentWaitsForSettlementCancelsTheProviderTransfer() {
    activities.created = new ProviderTransfer("ref-9", "pending", ProviderTransfer.Outcome.PENDING, null);
    activities.polled = activities.created;
    PaymentWorkflow wf = startAsync();

    Poll.until(PATIENCE, "the provider transfer exists", () -> "ref-9".equals(wf.state().providerReference()));
    wf.cancel();
    PaymentSagaState s = result(wf);

    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "process-external",
        "cancel-external", "void-pending", "void-reserve");
    assertThat(activities.cancelledReference).isEqualTo("ref-9");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
  }

  @Test
  void theHistoryOfACancelledPaymentReplays() throws Exception {
    activities.created = new ProviderTransfer("ref-9", "pending", ProviderTransfer.Outcome.PENDING, null);
    activities.polled = activities.created;
    PaymentWorkflow wf = startAsync();
    Poll.until(PATIENCE, "the provider transfer exists", () -> "ref-9".equals(wf.state().providerReference()));
    wf.cancel();
    result(wf);

    WorkflowReplayer.replayWorkflowExecution(client.fetchHistory("transaction-pay-1"), PaymentWorkflowImpl.class);
  }

  @Test
  void aCancelAfterTheExternalPaymentSucceededChangesNothing() {
    activities.created = new ProviderTransfer("ref-9", "pending", ProviderTransfer.Outcome.PENDING, null);
    activities.polled = activities.created;
    PaymentWorkflow wf = startAsync();

    Poll.until(PATIENCE, "the provider transfer exists", () -> "ref-9".equals(wf.state().providerReference()));
    // The webhook's success and the cancel arrive together: success wins.
    wf.settlementUpdated(new ProviderTransfer("ref-9", "settled", ProviderTransfer.Outcome.SUCCEEDED, null));
    wf.cancel();
    PaymentSagaState s = result(wf);

    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "process-external",
        "commit-transfer", "update-balance:completed");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPLETED);
    assertThat(s.cancelRequested()).isFalse();
  }

  @Test
  void pollingTheProviderFindsTheSettlementWithoutAWebhook() {
    activities.created = new ProviderTransfer("ref-9", "pending", ProviderTransfer.Outcome.PENDING, null);

    PaymentSagaState s = run();

    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "process-external",
        "get-external", "commit-transfer", "update-balance:completed");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPLETED);
  }

  @Test
  void aProviderThatStaysDownUntilTheExternalDeadlineIsCompensated() {
    activities.failAlways("process-external", Fault.TRANSIENT);

    PaymentSagaState s = run();

    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "process-external",
        "cancel-external-unanswered", "void-pending", "void-reserve");
    assertThat(activities.calls.stream().filter("process-external"::equals).count()).isGreaterThan(5);
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
  }

  /**
   * The provider's create is tried first as a local activity (no activity task through the Temporal server); when
   * that attempt fails transiently, the regular activity retries it and the payment completes. Both histories replay.
   */
  @Test
  void theCreateIsTriedLocallyFirstAndRetriedAsARegularActivity() throws Exception {
    PaymentSagaState s = run();
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPLETED);
    assertThat(scheduledActivities()).as("the happy path schedules no activity task").isEmpty();
    WorkflowReplayer.replayWorkflowExecution(client.fetchHistory("transaction-pay-1"), PaymentWorkflowImpl.class);

    env.close();
    start();
    activities.failOnce("process-external", Fault.TRANSIENT);
    s = run();
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPLETED);
    assertThat(activities.calls.stream().filter("process-external"::equals).count()).isEqualTo(2);
    assertThat(scheduledActivities()).containsExactly("process-external");
    WorkflowReplayer.replayWorkflowExecution(client.fetchHistory("transaction-pay-1"), PaymentWorkflowImpl.class);
  }

  /** A refusal on the local attempt is final: no regular activity retries it. */
  @Test
  void aCreateRefusedOnItsLocalAttemptIsNotRetried() {
    activities.failOnce("process-external", Fault.refuse(SagaFailures.PROVIDER_DECLINED));

    PaymentSagaState s = run();

    assertThat(activities.calls.stream().filter("process-external"::equals).count()).isEqualTo(1);
    assertThat(scheduledActivities()).doesNotContain("process-external");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "process-external",
        "cancel-external-unanswered", "void-pending", "void-reserve");
  }

  private List<String> scheduledActivities() {
    return client.fetchHistory("transaction-pay-1").getEvents().stream()
        .filter(e -> e.hasActivityTaskScheduledEventAttributes())
        .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName()).toList();
  }

  @Test
  void aSettlementThatNeverComesBeforeTheExternalDeadlineIsCompensated() {
    activities.created = new ProviderTransfer("ref-9", "pending", ProviderTransfer.Outcome.PENDING, null);
    activities.polled = activities.created;

    PaymentSagaState s = run();

    assertThat(activities.steps()).startsWith("reserve-funds", "create-pending", "process-external", "get-external")
        .endsWith("get-external", "cancel-external", "void-pending", "void-reserve");
    assertThat(s.failureReason()).contains("external deadline");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
  }

  @Test
  void aProviderThatReportsTheTransferFailedIsCompensated() {
    activities.created = new ProviderTransfer("ref-9", "returned", ProviderTransfer.Outcome.FAILED, "R01");

    PaymentSagaState s = run();

    assertThat(activities.steps()).containsExactly("reserve-funds", "create-pending", "process-external",
        "cancel-external", "void-pending", "void-reserve");
    assertThat(s.failureReason()).isEqualTo("provider: returned (R01)");
  }

  @Test
  void aPaymentReDrivenAfterACancelCompensatesEveryStepThatMayHaveRunAndGoesNoFurther() {
    activities.order = ScriptedActivities.order(PaymentStatus.RESERVED, true);

    PaymentSagaState s = run();

    // Nothing was committed, so the reversal finds nothing and the holds are voided. The run does not know how far
    // the last one got with the provider: what the row recorded tells the external step's compensation.
    assertThat(activities.steps()).containsExactly("reverse-commit", "cancel-external-unanswered", "void-pending",
        "void-reserve");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
  }

  @Test
  void aPaymentReDrivenWhileCompensatingAPostedCommitReversesItAndNeverVoids() {
    activities.order = ScriptedActivities.order(PaymentStatus.COMPENSATING, false);
    activities.committed = true;

    PaymentSagaState s = run();

    assertThat(activities.steps()).containsExactly("reverse-commit", "cancel-external-unanswered",
        "update-balance:compensated");
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPENSATED);
  }

  @Test
  void aTerminalPaymentIsLeftAlone() {
    activities.order = ScriptedActivities.order(PaymentStatus.COMPLETED, false);

    PaymentSagaState s = run();

    assertThat(activities.calls).isEmpty();
    assertThat(s.status()).isEqualTo(PaymentStatus.COMPLETED);
  }
}
