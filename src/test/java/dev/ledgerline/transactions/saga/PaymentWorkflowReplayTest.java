package dev.ledgerline.transactions.saga;

import io.temporal.testing.WorkflowReplayer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Histories recorded by the build before {@code cancel-external-unanswered} replay with today's workflow code: a run
 * started then, still running on a Temporal cluster when the workers are upgraded, goes on as it ran. Each of the
 * compensating histories holds the old {@code cancel-external} of a null reference where today's code, ungated, would
 * schedule {@code cancel-external-unanswered} (a non-determinism error on replay).
 */
class PaymentWorkflowReplayTest {
  @ParameterizedTest
  @ValueSource(strings = {"cancel-while-the-provider-is-down", "declined", "re-driven-after-a-cancel", "completed"})
  void aHistoryOfTheBuildBeforeReplays(String name) throws Exception {
    WorkflowReplayer.replayWorkflowExecutionFromResource(
        "dev/ledgerline/transactions/saga/histories/" + name + ".json", PaymentWorkflowImpl.class);
  }
}
