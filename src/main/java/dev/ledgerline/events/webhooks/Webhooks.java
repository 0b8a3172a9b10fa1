package dev.ledgerline.events.webhooks;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.vault.KeyRing;
import dev.ledgerline.vault.TokenVault;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;

/**
 * A gateway node's outbound webhooks: the endpoints API's storage, the committed-transfer consumer and the
 * dispatcher, all on one context of their own. Needs the token vault (the endpoints' secrets): without a configured
 * key ring there are none and the routes answer 503.
 */
public final class Webhooks {
  /** Transfers per read of the committed-transfer feed. */
  static final int FEED_PAGE = 2000;

  private final Context context;
  private final WebhookEndpoints endpoints;
  private final WebhookDispatcher dispatcher;
  private final TransferWebhooks transfers;
  private final UrlGuard guard;

  private Webhooks(Context context, WebhookEndpoints endpoints, WebhookDispatcher dispatcher,
      TransferWebhooks transfers, UrlGuard guard) {
    this.context = context;
    this.endpoints = endpoints;
    this.dispatcher = dispatcher;
    this.transfers = transfers;
    this.guard = guard;
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
          Context context = vertx.getOrCreateContext();
          Promise<Optional<Webhooks>> started = Promise.promise();
          context.runOnContext(v -> {
            UrlGuard guard = new UrlGuard(vertx, settings.allowPrivate());
            WebhookEndpoints endpoints = new WebhookEndpoints(pool, vault, guard, settings.maxEndpointsPerOwner(),
                settings.rotationGrace());
            WebhookDispatcher dispatcher = new WebhookDispatcher(vertx, pool, endpoints, guard,
                EventPublisher.create(config), settings, Clock.systemUTC());
            TransferWebhooks transfers = new TransferWebhooks(vertx, pool, ledger, transferJson,
                settings.pollInterval(), FEED_PAGE);
            dispatcher.start();
            transfers.wake();
            started.complete(Optional.of(new Webhooks(context, endpoints, dispatcher, transfers, guard)));
          });
          return started.future();
        });
  }

  public WebhookEndpoints endpoints() {
    return endpoints;
  }

  public UrlGuard guard() {
    return guard;
  }

  /** Stops reading the feed and claiming; attempts in flight finish and are recorded. */
  public Future<Void> stop() {
    Promise<Void> stopped = Promise.promise();
    context.runOnContext(v -> transfers.stop().eventually(dispatcher::stop).onComplete(stopped));
    return stopped.future();
  }
}
