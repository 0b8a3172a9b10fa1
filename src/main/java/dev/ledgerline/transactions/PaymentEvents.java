package dev.ledgerline.transactions;

import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A payment's history as ledger event store events, derived from its row alone, so that every writer (the POST, each
 * record activity, a retry, a repair) computes the very same event for a version.
 *
 * <ul>
 *   <li>aggregate: the payment id's 128 bits as a u128 (most significant half high); a UUIDv7 is never 0 or
 *       2^128-1, and the mapping is reversible, so the verifier finds the payment of an aggregate;
 *   <li>version 1: {@code payment.requested}, from the row's columns written with it;
 *   <li>version n+1: the row's n-th step (its {@code steps} array is appended once per applied update, so its
 *       positions are a gapless sequence), typed from the step's saga event name.
 * </ul>
 */
public final class PaymentEvents {
  /** Saga event name (a step's {@code event}) → event store type. */
  static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("FundsReserved", "payment.funds_reserved"),
      Map.entry("PendingTransferCreated", "payment.pending_created"),
      Map.entry("ExternalPaymentRequested", "payment.external_requested"),
      Map.entry("ExternalPaymentSucceeded", "payment.external_succeeded"),
      Map.entry("TransferCommitted", "payment.committed"),
      Map.entry("PaymentCompleted", "payment.completed"),
      Map.entry("CompensationStarted", "payment.compensating"),
      Map.entry("CompensationDone", "payment.compensation_done"),
      Map.entry("PaymentCompensated", "payment.compensated"),
      Map.entry("PaymentFailed", "payment.failed"),
      Map.entry("PaymentNeedsAttention", "payment.needs_attention"),
      Map.entry("PaymentResolved", "payment.resolved"),
      // Not the saga's: the owner's cancel, recorded on the row by PaymentStore.requestCancel.
      Map.entry("CancelRequested", "payment.cancel_requested"));

  public static final String REQUESTED = "payment.requested";
  /** Every payment event type starts so (what tells the verifier an aggregate is a payment). */
  public static final String TYPE_PREFIX = "payment.";

  private PaymentEvents() {}

  /** One event as it must be in the store. */
  public record Expected(long version, String type, JsonObject payload) {
    /** The event id the payload carries: the saga's update id, or the payment id for the request. */
    public String eventId() {
      return payload.getString("event_id");
    }
  }

  public static UInt128 aggregate(String paymentId) {
    UUID u = UUID.fromString(paymentId);
    return UInt128.of(u.getLeastSignificantBits(), u.getMostSignificantBits());
  }

  public static String paymentId(UInt128 aggregate) {
    return new UUID(aggregate.hi(), aggregate.lo()).toString();
  }

  /** The payment's events, version 1 to {@code steps + 1}. */
  public static List<Expected> of(Payment p) {
    List<Expected> out = new ArrayList<>();
    out.add(new Expected(1, REQUESTED, requested(p)));
    JsonArray steps = p.steps();
    for (int i = 0; i < steps.size(); i++) {
      JsonObject step = steps.getJsonObject(i);
      String type = TYPES.get(step.getString("event"));
      if (type == null) throw new IllegalStateException("payment " + p.id() + " step " + i + " has unknown event "
          + step.getString("event"));
      out.add(new Expected(i + 2, type, step.copy().put("payment_id", p.id())));
    }
    return out;
  }

  /** What was asked for; {@code at} is the row's creation time. */
  static JsonObject requested(Payment p) {
    JsonObject j = new JsonObject().put("event_id", p.id()).put("event", "PaymentRequested")
        .put("payment_id", p.id()).put("status", "pending").put("owner", p.owner())
        .put("from_account_id", p.fromAccountId()).put("amount", p.amount()).put("ledger", p.ledger())
        .put("code", p.code()).put("provider", p.provider()).put("linked_account_id", p.linkedAccountId())
        .put("at", p.createdAt().toString());
    if (p.description() != null) j.put("description", p.description());
    if (p.metadata() != null) j.put("metadata", p.metadata());
    return j;
  }
}
