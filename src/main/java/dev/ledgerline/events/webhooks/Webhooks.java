package dev.ledgerline.events.webhooks;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.vault.KeyRing;
import dev.ledgerline.vault.TokenVault;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A gateway node's outbound webhooks: the endpoints API's storage, the committed-transfer consumer (on a context of
 * its own) and {@code webhooks.dispatchers} dispatchers (verticle instances, each on its own event loop). Needs the
 * token vault (the endpoints' secrets): without a configured key ring there are none and the routes answer 503.
 */
public final class Webhooks {
  /** Transfers per read of the committed-transfer feed. */
  static final int FEED_PAGE = 2000;

  private final Vertx vertx;
  private final Context feedContext;
  private final WebhookEndpoints endpoints;
  private final TransferWebhooks transfers;
  private final String deployment;

  private Webhooks(Vertx vertx, Context feedContext, WebhookEndpoints endpoints, TransferWebhooks transfers,
      String deployment) {
    this.vertx = vertx;
    this.feedContext = feedContext;
    this.endpoints = endpoints;
    this.transfers = transfers;
    this.deployment = deployment;
  }

  /**
   * Opens the vault and starts delivering: empty when the vault is not configured on this node.
   *
   * @param transferJson a transfer as the API writes it
   */
  public static Future<Optional<Webhooks>> start(Vertx vertx, LedgerlineConfig config, Pool pool, LedgerClient ledger,
      Function<Transfer, Buffer> transferJson) {
    if (!KeyRing.configured(config)) {
      return Future.succeededFuture(Optional.empty());
    }
    LedgerlineConfig.Webhooks settings = config.webhooks();
    return vertx.executeBlocking(() -> KeyRing.fromConfig(config), false)
        .compose(ring -> TokenVault.open(pool, ring))
        .compose(vault -> {
          UrlGuard guard = new UrlGuard(vertx, settings.allowPrivate());
          WebhookEndpoints endpoints = new WebhookEndpoints(pool, vault, guard, settings.maxEndpointsPerOwner(),
              settings.rotationGrace());
          int shards = settings.dispatchers();
          AtomicInteger next = new AtomicInteger();
          return vertx.deployVerticle(() -> new DispatcherVerticle(new WebhookDispatcher(vertx, pool, endpoints,
                  guard, EventPublisher.create(config), settings, Clock.systemUTC(), next.getAndIncrement(), shards)),
              new DeploymentOptions().setInstances(shards))
              .compose(id -> {
                Promise<Optional<Webhooks>> started = Promise.promise();
                Context feed = vertx.getOrCreateContext();
                feed.runOnContext(v -> {
                  TransferWebhooks transfers = new TransferWebhooks(vertx, pool, ledger, transferJson,
                      settings.pollInterval(), config.feed().consumerInterval(), FEED_PAGE, config.events().ledger());
                  transfers.wake();
                  started.complete(Optional.of(new Webhooks(vertx, feed, endpoints, transfers, id)));
                });
                return started.future();
              });
        });
  }

  public WebhookEndpoints endpoints() {
    return endpoints;
  }

  /** Stops reading the feed and claiming; attempts in flight finish and are recorded. */
  public Future<Void> stop() {
    Promise<Void> stopped = Promise.promise();
    feedContext.runOnContext(v -> transfers.stop().onComplete(stopped));
    return stopped.future().eventually(() -> vertx.undeploy(deployment));
  }

  /** One dispatcher on the event loop of its verticle instance. */
  private static final class DispatcherVerticle extends AbstractVerticle {
    private final WebhookDispatcher dispatcher;

    DispatcherVerticle(WebhookDispatcher dispatcher) {
      this.dispatcher = dispatcher;
    }

    @Override
    public void start() {
      dispatcher.start();
    }

    @Override
    public void stop(Promise<Void> done) {
      dispatcher.stop().onComplete(done);
    }
  }
}
