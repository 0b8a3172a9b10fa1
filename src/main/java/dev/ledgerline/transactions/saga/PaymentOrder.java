package dev.ledgerline.transactions.saga;

/**
 * What the saga needs of a payment, as its row holds it. Ids and amounts are decimal strings: Temporal's JSON
 * converter carries records, and u128 values must not pass through a double.
 *
 * @param status the row's status when the workflow (re)starts
 * @param cancelRequested a cancel was accepted before this run, so a re-drive compensates instead of going on
 */
public record PaymentOrder(
    String paymentId,
    String owner,
    String fromAccountId,
    String amount,
    int ledger,
    int code,
    String provider,
    String linkedAccountId,
    String description,
    PaymentStatus status,
    boolean cancelRequested,
    SagaSettings settings) {

  public PaymentLegs legs() {
    return new PaymentLegs(paymentId, fromAccountId, amount, ledger, code, provider,
        settings.holdTimeout().toSeconds());
  }
}
