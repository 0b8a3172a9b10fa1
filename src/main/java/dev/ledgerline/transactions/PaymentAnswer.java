package dev.ledgerline.transactions;

import dev.ledgerline.cache.TransactionCache;
import dev.ledgerline.transactions.saga.PaymentLedgerIds;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A payment as {@code GET /v1/payments/{id}} answers it, built in one place because two writers make it: the route on a
 * miss, and the {@code transaction.updated} handler that writes the {@code transaction:<id>} cache entry.
 */
public final class PaymentAnswer {
  /** Where a payment is read. */
  public static final String PATH = "/v1/payments";

  private PaymentAnswer() {}

  /** The row, its steps with their times, the ledger ids and the provider reference. */
  public static JsonObject json(Payment p) {
    JsonObject transfers = new JsonObject();
    for (String step : PaymentLedgerIds.STEPS) {
      transfers.put(step, PaymentLedgerIds.transfer(p.id(), step).toString());
    }
    JsonObject out = new JsonObject().put("id", p.id()).put("status", p.status().wireName())
        .put("from_account_id", p.fromAccountId()).put("amount", p.amount()).put("ledger", p.ledger())
        .put("code", p.code()).put("provider", p.provider()).put("linked_account_id", p.linkedAccountId());
    if (p.description() != null) out.put("description", p.description());
    if (p.metadata() != null) out.put("metadata", p.metadata());
    return out.put("cancel_requested", p.cancelRequested()).put("provider_reference", p.providerReference())
        .put("failure_reason", p.failureReason()).put("steps", p.steps())
        .put("ledger_transfer_ids", transfers)
        .put("created_at", p.createdAt().toString()).put("updated_at", p.updatedAt().toString())
        .put("links", new JsonObject().put("self", PATH + "/" + p.id()).put("events", PATH + "/" + p.id()
            + "/events"));
  }

  /** The payment's cache entry: its answer, version and owner. */
  public static TransactionCache.Cached cached(Payment p) {
    return TransactionCache.Cached.of(TransactionCache.Kind.PAYMENT, p.version(), p.owner(),
        List.of(p.fromAccountId()), json(p).toBuffer());
  }
}
