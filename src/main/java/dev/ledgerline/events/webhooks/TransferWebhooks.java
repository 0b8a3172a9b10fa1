package dev.ledgerline.events.webhooks;

import dev.ledgerline.ledger.FeedPacer;
import dev.ledgerline.ledger.LedgerApi;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.QueryFilterFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable consumer of the committed-transfer feed ({@link LedgerClient#transfersAfter}): each committed transfer
 * becomes a {@code transfer.committed} message for the endpoints of its accounts' owners. The cursor (the last
 * transfer's timestamp) lives in {@code ledger_feed_cursors} and moves in the same transaction as the deliveries it
 * wrote, so every committed transfer is turned into deliveries exactly once. That transaction holds the cursor's row
 * ({@code FOR UPDATE SKIP LOCKED}): every gateway node runs one of these, and one of them at a time reads a page;
 * the others find the row taken and leave it. Woken by the ledger's commit publication and every
 * {@code webhooks.poll-interval}. While no enabled endpoint subscribes to {@code transfer.committed} the cursor moves
 * to the ledger's end without reading anything, in one statement outside a transaction of its own: an endpoint
 * receives the transfers committed after it was registered.
 */
public final class TransferWebhooks {
  static final String CONSUMER = "webhooks";
  /** One cursor for the cluster's ledger, whichever backend serves it. */
  static final String LEDGER = "cluster";
  private static final Logger LOG = LoggerFactory.getLogger(TransferWebhooks.class);

  private final Vertx vertx;
  private final Pool pool;
  private final LedgerClient ledger;
  private final Function<Transfer, Buffer> json;
  private final int page;
  /** The event store's ledger: its zero-amount transfers record events, they move no money and are nobody's. */
  private final int eventsLedger;
  private final long timer;
  private final FeedPacer pacer;
  private MessageConsumer<Object> committed;
  /** A full page reads on at once; wake-ups during a read read again through the pacer. */
  private final OneRunAtATime<Boolean> reads;
  /** Deliveries written by the transaction in progress, announced once it committed. */
  private int announce;
  /** Whether the last step found an endpoint subscribed (steps run one at a time). */
  private boolean subscribed;

  /**
   * @param json a transfer as the API writes it (the message's data)
   * @param consumerInterval a commit's wake-up starts a read at most this often ({@link FeedPacer})
   * @param eventsLedger the ledger of the event store, whose transfers are skipped
   */
  public TransferWebhooks(Vertx vertx, Pool pool, LedgerClient ledger, Function<Transfer, Buffer> json,
      Duration pollInterval, Duration consumerInterval, int page, int eventsLedger) {
    this.vertx = vertx;
    this.pool = pool;
    this.ledger = ledger;
    this.json = json;
    this.page = page;
    this.eventsLedger = eventsLedger;
    this.pacer = new FeedPacer(vertx, consumerInterval, this::wake);
    this.reads = new OneRunAtATime<>(this::step, this::afterStep, pacer::wake);
    this.timer = vertx.setPeriodic(Math.max(1, pollInterval.toMillis()), t -> wake());
    this.committed = vertx.eventBus().localConsumer(LedgerApi.TRANSFERS_COMMITTED, m -> pacer.wake());
  }

  /** Reads the feed now (or once more after the read in progress). */
  public void wake() {
    reads.wake();
  }

  /** Announces a page's deliveries; true when the feed may hold more right now. */
  private boolean afterStep(AsyncResult<Boolean> ar) {
    // Only after the commit: a dispatcher woken earlier would not see the rows.
    int written = ar.succeeded() ? announce : 0;
    announce = 0;
    WebhookMessages.announce(vertx, written);
    if (ar.failed()) {
      LOG.warn("webhooks: reading the committed-transfer feed failed (retried): {}", ar.cause().getMessage());
      return false;
    }
    return ar.result();
  }

  public Future<Void> stop() {
    reads.stop();
    vertx.cancelTimer(timer);
    pacer.cancel();
    MessageConsumer<Object> c = committed;
    committed = null;
    return c == null ? Future.succeededFuture() : c.unregister();
  }

  /**
   * One page; true when the feed may hold more right now. While no endpoint subscribes (the usual case), one
   * statement moves the cursor to the ledger's end; the locked read runs only for a subscriber, or before the first
   * cursor exists. While the last step found a subscriber, steps go straight to the locked read, which finds out
   * itself when none subscribes any more.
   */
  Future<Boolean> step() {
    // A step that finds the subscribers gone moves nothing; the step run again at once reads the end first.
    if (subscribed) return lockedStep(false).compose(more -> subscribed ? Future.succeededFuture(more) : step());
    // A data-modifying WITH runs to completion whether or not the final SELECT reads it.
    return latest().compose(end -> pool.preparedQuery("WITH s AS (SELECT EXISTS (SELECT 1 FROM webhook_endpoints "
            + "WHERE status = 'enabled' AND $4 = ANY(events)) AS subscribed), "
            + "moved AS (UPDATE ledger_feed_cursors SET position = $3, updated_at = now() WHERE consumer = $1 "
            + "AND ledger = $2 AND position < $3 AND NOT (SELECT subscribed FROM s)) "
            + "SELECT (SELECT subscribed FROM s), EXISTS (SELECT 1 FROM ledger_feed_cursors WHERE consumer = $1 "
            + "AND ledger = $2)")
        .execute(Tuple.of(CONSUMER, LEDGER, end, WebhookFanout.TRANSFER_COMMITTED))
        .compose(rows -> {
          Row r = rows.iterator().next();
          subscribed = r.getBoolean(0);
          return !subscribed && r.getBoolean(1) ? Future.succeededFuture(false) : lockedStep(true);
        }));
  }

  /**
   * One page under the cursor row's lock (the first read of the cluster creates the row). With {@code knowEnd}, the
   * ledger's end is read before the statement, and a step that finds no subscriber moves the cursor there: read
   * after it, an endpoint registered in between could miss a transfer committed in between, which the cursor would
   * pass. Without it (pages read for a subscriber, one after the other), a step that finds the subscribers gone
   * moves nothing: {@link #step} then runs again, reading the end first.
   */
  private Future<Boolean> lockedStep(boolean knowEnd) {
    Future<Long> end = knowEnd ? latest() : Future.succeededFuture(-1L);
    return end.compose(known -> pool.withTransaction(conn -> conn.preparedQuery("SELECT position, EXISTS (SELECT 1 "
            + "FROM webhook_endpoints WHERE status = 'enabled' AND $3 = ANY(events)) FROM ledger_feed_cursors "
            + "WHERE consumer = $1 AND ledger = $2 FOR UPDATE SKIP LOCKED")
        .execute(Tuple.of(CONSUMER, LEDGER, WebhookFanout.TRANSFER_COMMITTED))
        .compose(rows -> {
          if (rows.size() == 0) {
            if (knowEnd) return start(conn, known);
            // Another node holds the row for a page, or it is gone: the next step goes the way that can make it.
            subscribed = false;
            return Future.succeededFuture(false);
          }
          long position = rows.iterator().next().getLong(0);
          subscribed = rows.iterator().next().getBoolean(1);
          if (!subscribed) {
            if (!knowEnd) return Future.succeededFuture(false);
            return known <= position ? Future.succeededFuture(false) : save(conn, known).map(false);
          }
          return ledger.transfersAfter(position, page).compose(transfers -> {
            if (transfers.isEmpty()) {
              return Future.succeededFuture(false);
            }
            List<WebhookMessages.Message> messages = new ArrayList<>(transfers.size());
            for (Transfer t : transfers) {
              if (t.ledger() != eventsLedger) messages.add(message(t));
            }
            long last = transfers.get(transfers.size() - 1).timestamp();
            return WebhookMessages.enqueue(conn, messages).compose(written -> save(conn, last).map(v -> {
              announce += written;
              return transfers.size() == page;
            }));
          });
        })));
  }

  /** The first read of the cluster: the cursor starts at the ledger's end (the history is nobody's new event). */
  private Future<Boolean> start(SqlConnection conn, long end) {
    // True (read again at once) only when this call made the row: a row that is there already is another node's,
    // locked while it reads a page, and reading again at once would only spin until that node is done.
    return conn.preparedQuery("INSERT INTO ledger_feed_cursors (consumer, ledger, position) "
            + "VALUES ($1, $2, $3) ON CONFLICT (consumer, ledger) DO NOTHING")
        .execute(Tuple.of(CONSUMER, LEDGER, end)).map(rows -> rows.rowCount() == 1);
  }

  private Future<Void> save(SqlConnection conn, long position) {
    return conn.preparedQuery("UPDATE ledger_feed_cursors SET position = GREATEST(position, $3), updated_at = now() "
        + "WHERE consumer = $1 AND ledger = $2").execute(Tuple.of(CONSUMER, LEDGER, position)).mapEmpty();
  }

  /** The timestamp of the ledger's last transfer, 0 when it has none. */
  private Future<Long> latest() {
    return ledger.queryTransfers(new QueryFilter(UInt128.ZERO, 0, 0, 0, 0, 0, 0, 1, QueryFilterFlags.REVERSED))
        .map(ts -> ts.isEmpty() ? 0L : ts.get(0).timestamp());
  }

  private WebhookMessages.Message message(Transfer t) {
    // The transfer's id is unique in the ledger: as the message id, a page read twice is written once.
    UUID id = new UUID(t.id().hi(), t.id().lo());
    JsonObject data = new JsonObject(json.apply(t));
    return new WebhookMessages.Message(id, WebhookFanout.TRANSFER_COMMITTED, Instant.ofEpochSecond(0, t.timestamp()),
        data, List.of(t.debitAccountId().toString(), t.creditAccountId().toString()), null);
  }
}
