package dev.ledgerline.events.webhooks;

import dev.ledgerline.events.Event;
import dev.ledgerline.events.EventConsumer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The outbox's durable consumer for webhooks: a payment's outcome ({@code transaction.updated} of a payment that
 * completed, was compensated, failed or needs an operator) becomes {@code payment.<status>} for the endpoints of its
 * accounts' owners, and {@code webhook.endpoint.disabled} goes to the disabled endpoint's owner's other endpoints.
 * Committed transfers come from the ledger's feed instead ({@link TransferWebhooks}).
 */
public final class WebhookFanout implements EventConsumer {
  public static final String NAME = "webhooks";
  public static final String TRANSFER_COMMITTED = "transfer.committed";
  public static final String ENDPOINT_DISABLED = "webhook.endpoint.disabled";
  static final String TRANSACTION_UPDATED = "transaction.updated";
  private static final Set<String> PAYMENT_OUTCOMES = Set.of("completed", "compensated", "failed", "needs_attention");

  private final Vertx vertx;
  private final Pool pool;

  public WebhookFanout(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<Void> handle(Event event) {
    WebhookMessages.Message message = message(event);
    if (message == null) {
      return Future.succeededFuture();
    }
    return WebhookMessages.enqueue(pool, List.of(message)).map(written -> {
      WebhookMessages.announce(vertx, written);
      return null;
    });
  }

  /** The webhook message an outbox event stands for, or null when it stands for none. */
  static WebhookMessages.Message message(Event event) {
    JsonObject p = event.payload();
    if (event.type().equals(TRANSACTION_UPDATED) && "payment".equals(p.getString("kind"))
        && PAYMENT_OUTCOMES.contains(p.getString("status"))) {
      // A payment's outcome may be published more than once (a later version adds balances): one message per
      // (payment, outcome), so receivers get it once.
      UUID id = UUID.nameUUIDFromBytes(("payment:" + p.getString("id") + ":" + p.getString("status"))
          .getBytes(StandardCharsets.UTF_8));
      List<String> accounts = new ArrayList<>();
      JsonArray ids = p.getJsonArray("account_ids", new JsonArray());
      for (Object a : ids) {
        accounts.add(String.valueOf(a));
      }
      JsonObject data = p.copy();
      data.remove("version");
      return new WebhookMessages.Message(id, "payment." + p.getString("status"), event.occurredAt(), data, accounts,
          null);
    }
    if (event.type().equals(ENDPOINT_DISABLED)) {
      return new WebhookMessages.Message(event.id(), ENDPOINT_DISABLED, event.occurredAt(), p.copy(), List.of(),
          p.getString("owner"));
    }
    return null;
  }
}
