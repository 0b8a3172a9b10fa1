package dev.ledgerline.transactions.saga;

/**
 * One step or compensation as the saga ran it.
 *
 * @param name the activity's name ({@code reserve-funds}, {@code void-reserve}, ...)
 * @param compensation whether it undoes a step
 * @param state {@code running}, {@code done}, {@code failed}, {@code skipped} or {@code resolved}
 * @param detail the failure, the ledger ids or the operator's reason
 */
public record SagaStep(String name, boolean compensation, String state, long startedAtMillis, long finishedAtMillis,
    String detail) {

  SagaStep finish(String newState, long at, String newDetail) {
    return new SagaStep(name, compensation, newState, startedAtMillis, at, newDetail == null ? detail : newDetail);
  }
}
