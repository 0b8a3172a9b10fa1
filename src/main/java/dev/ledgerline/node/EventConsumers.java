package dev.ledgerline.node;

import dev.ledgerline.events.EventConsumer;
import dev.ledgerline.events.webhooks.WebhookFanout;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.transactions.TransactionEventHandler;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable consumers of the outbox: the one place a consumer is registered (one line each, in {@link #of}).
 *
 * <p>Whichever node holds the relay lock delivers to every consumer of its own list, so every relaying node must build
 * the same list: a consumer is built from the configuration and the node's shared services, never from the node's
 * roles. A consumer's {@link EventConsumer#name()} is its cursor in PostgreSQL; renaming it starts it from the
 * beginning of the outbox's retention.
 */
public final class EventConsumers {
  private EventConsumers() {}

  /** The durable consumers, in the order their delivery loops start (pub/sub is added by the relay itself). */
  public static List<EventConsumer> of(NodeContext node) {
    List<EventConsumer> consumers = new ArrayList<>();
    // Register durable consumers here.
    // transaction.created starts the saga on a transactions node over the event bus, from whichever node relays.
    consumers.add(TransactionEventHandler.create(node.vertx(), node.services(), node.config()));
    // Payment outcomes and disabled endpoints become outbound webhook deliveries.
    consumers.add(new WebhookFanout(node.vertx(), node.services().pool()));
    return consumers;
  }
}
