package dev.ledgerline.providers;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.NewEvent;
import io.vertx.sqlclient.Pool;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes each breaker change as the event {@code provider.breaker.changed} through the outbox, in a transaction of
 * its own (the change is a fact of this node, not part of anyone's write). The aggregate is the provider and node, so
 * one node's changes keep their order. A failed publish is logged: the breaker never waits for PostgreSQL.
 */
public final class BreakerEvents implements Consumer<ProviderBreaker.Change> {
  public static final String TYPE = "provider.breaker.changed";
  private static final Logger LOG = LoggerFactory.getLogger(BreakerEvents.class);

  private final Pool pool;
  private final EventPublisher publisher;
  private final String nodeId;

  public BreakerEvents(Pool pool, EventPublisher publisher, String nodeId) {
    this.pool = pool;
    this.publisher = publisher;
    this.nodeId = nodeId;
  }

  @Override
  public void accept(ProviderBreaker.Change change) {
    NewEvent event = NewEvent.of(TYPE, "provider:" + change.provider() + ":" + nodeId, "providers",
        change.toJson().put("node", nodeId));
    publisher.publishAlone(pool, event)
        .onFailure(e -> LOG.warn("provider {}: breaker change {} -> {} not published: {}", change.provider(),
            change.from().id(), change.to().id(), e.getMessage()));
  }
}
