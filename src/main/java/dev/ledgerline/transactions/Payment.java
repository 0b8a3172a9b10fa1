package dev.ledgerline.transactions;

import dev.ledgerline.transactions.saga.PaymentStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A payment's row. Ids and amounts are decimal strings (u128).
 *
 * @param steps every state change the saga recorded, oldest first: {@code {event_id, event, status, step, at, detail}}
 * @param version grows with every change: the version of its {@code transaction.updated} snapshots
 */
public record Payment(String id, String owner, PaymentStatus status, String fromAccountId, String amount, long ledger,
    int code, String provider, String linkedAccountId, String description, JsonObject metadata,
    boolean cancelRequested, String providerReference, String failureReason, JsonArray steps, long version,
    Instant createdAt, Instant updatedAt) {
  /** The step whose record means the provider reported the payment's transfer a success. */
  public static final String EXTERNAL_SUCCEEDED = "ExternalPaymentSucceeded";

  /**
   * Whether the saga recorded the provider's success: the money has moved at the provider (a completed payment's has).
   */
  public boolean externalSucceeded() {
    if (status == PaymentStatus.COMPLETED) return true;
    for (Object step : steps) {
      if (step instanceof JsonObject s && EXTERNAL_SUCCEEDED.equals(s.getString("event"))) return true;
    }
    return false;
  }
}
