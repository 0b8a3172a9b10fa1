package dev.ledgerline.gateway.stream;

import dev.ledgerline.cache.BalanceCache;
import dev.ledgerline.gateway.json.ResponseJson;
import dev.ledgerline.ledger.LedgerApi;
import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriptions of one gateway instance's stream connections, fed by {@link LedgerApi#TRANSFERS_COMMITTED}.
 * Every gateway instance on every node receives every committed batch (a publish), so a client may connect to any
 * node. Confined to the instance's event loop: the connections and the consumer share its context.
 *
 * <p>Balance frames come from the node's {@link BalanceCache}, as {@code GET /v1/accounts/{id}} does, with the
 * balance's version and age. A frame never shows a balance older than the transfer before it: a cached balance whose
 * version is below the newest transfer of the batch for that account (this node may not have dropped it yet) is read
 * through to the ledger. Batches are delivered in commit order, so while one batch's balances are being read the
 * batches that arrive wait, and are then delivered with one read for all of them: a balance frame may then show a
 * later balance than the transfer it follows, which its version says. A failed read sends the transfer frames
 * without balance frames (the client reads the account instead).
 */
public final class StreamHub {
  private static final Logger LOG = LoggerFactory.getLogger(StreamHub.class);
  private final Vertx vertx;
  private final Map<UInt128, Set<StreamConnection>> byAccount = new HashMap<>();
  private final StreamCursorKey cursorKey;
  /** Null: balance frames show the feed's own read of the accounts, without a version (tests of delivery alone). */
  private final BalanceCache balances;
  /** Batches that arrived while a balance read was running, delivered in order after it. */
  private final ArrayDeque<TransfersCommitted> waiting = new ArrayDeque<>();
  private boolean reading;
  private MessageConsumer<TransfersCommitted> consumer;

  /** Without cursors (tests of delivery alone). */
  public StreamHub(Vertx vertx) {
    this(vertx, null, null);
  }

  public StreamHub(Vertx vertx, StreamCursorKey cursorKey, BalanceCache balances) {
    this.vertx = vertx;
    this.cursorKey = cursorKey;
    this.balances = balances;
  }

  /** The cursors, or null while no key is known. */
  StreamCursors cursors() {
    return cursorKey == null ? null : cursorKey.current();
  }

  /** Registers the consumer (once, when the first connection opens: nodes without clients decode nothing). */
  Future<Void> ensureListening() {
    if (consumer == null) {
      consumer = vertx.eventBus().consumer(LedgerApi.TRANSFERS_COMMITTED, m -> dispatch(m.body()));
    }
    return consumer.completion();
  }

  void subscribe(StreamConnection c, UInt128 account) {
    byAccount.computeIfAbsent(account, a -> new LinkedHashSet<>()).add(c);
  }

  void unsubscribe(StreamConnection c, UInt128 account) {
    Set<StreamConnection> s = byAccount.get(account);
    if (s != null && s.remove(c) && s.isEmpty()) {
      byAccount.remove(account);
    }
  }

  /** Number of (connection, account) subscriptions, for tests and health. */
  public int subscriptions() {
    return byAccount.values().stream().mapToInt(Set::size).sum();
  }

  void dispatch(TransfersCommitted event) {
    if (byAccount.isEmpty()) {
      return;
    }
    if (balances == null) {
      Map<UInt128, String> fields = new HashMap<>();
      for (Account a : event.accounts()) {
        if (byAccount.containsKey(a.id())) {
          fields.put(a.id(), StreamFrames.balanceFields(a, null));
        }
      }
      deliver(event, fields);
      return;
    }
    waiting.add(event);
    if (!reading) {
      readAndDeliver();
    }
  }

  /** Reads the balances of every subscribed account the waiting batches touch, then delivers those batches. */
  private void readAndDeliver() {
    List<TransfersCommitted> batches = new ArrayList<>(waiting);
    waiting.clear();
    Map<UInt128, Long> newest = new HashMap<>();
    for (TransfersCommitted b : batches) {
      for (Transfer t : b.transfers()) {
        for (UInt128 id : List.of(t.debitAccountId(), t.creditAccountId())) {
          if (byAccount.containsKey(id)) {
            newest.merge(id, t.timestamp(), (x, y) -> Long.compareUnsigned(x, y) >= 0 ? x : y);
          }
        }
      }
    }
    if (newest.isEmpty()) {
      return;
    }
    reading = true;
    Future<Map<UInt128, String>> read;
    try {
      read = balancesAfter(newest);
    } catch (RuntimeException e) {
      // Never left reading: the batches would wait for good.
      read = Future.failedFuture(e);
    }
    read.onComplete(ar -> {
      reading = false;
      if (ar.failed()) {
        LOG.debug("stream balances not read ({}); transfer frames go without them", ar.cause().toString());
      }
      Map<UInt128, String> fields = ar.succeeded() ? ar.result() : Map.of();
      for (TransfersCommitted b : batches) {
        deliver(b, fields);
      }
      if (!waiting.isEmpty()) {
        readAndDeliver();
      }
    });
  }

  /** Each account's balance fields from the cache, read through where the cache's version is below {@code newest}. */
  private Future<Map<UInt128, String>> balancesAfter(Map<UInt128, Long> newest) {
    return balances.getAll(newest.keySet(), false).compose(cached -> {
      Map<UInt128, BalanceCache.Answer> answers = new HashMap<>(cached);
      List<UInt128> behind = new ArrayList<>();
      answers.forEach((id, a) -> {
        if (a.balance() == null || Long.compareUnsigned(a.balance().version(), newest.get(id)) < 0) {
          behind.add(id);
        }
      });
      Future<Map<UInt128, BalanceCache.Answer>> through = behind.isEmpty() ? Future.succeededFuture(Map.of())
          : balances.getAll(behind, true);
      return through.map(fresh -> {
        answers.putAll(fresh);
        Map<UInt128, String> fields = new HashMap<>();
        answers.forEach((id, a) -> {
          if (a.balance() != null) {
            fields.put(id, StreamFrames.balanceFields(a.balance().account(), new ResponseJson.BalanceStamp(
                a.balance().version(), a.ageMillis())));
          }
        });
        return fields;
      });
    });
  }

  private void deliver(TransfersCommitted event, Map<UInt128, String> balanceFields) {
    StreamCursors cursors = cursors();
    for (Transfer t : event.transfers()) {
      String body = null;
      for (UInt128 id : t.debitAccountId().equals(t.creditAccountId()) ? new UInt128[] {t.debitAccountId()}
          : new UInt128[] {t.debitAccountId(), t.creditAccountId()}) {
        Set<StreamConnection> subs = byAccount.get(id);
        if (subs == null) {
          continue;
        }
        if (body == null) {
          body = StreamFrames.transferBody(t);
        }
        String balance = balanceFields.get(id);
        String account = id.toString();
        // The same for every connection of this account: computed once.
        String cursor = cursors == null ? null : cursors.encode(id, t.timestamp());
        // Copy: a send may close a slow connection, which unsubscribes it from this very set.
        for (StreamConnection c : Set.copyOf(subs)) {
          // One subscriber's failure must not cost the others their frames.
          try {
            c.transfer(id, t.timestamp(), cursor, body, balance);
          } catch (RuntimeException e) {
            LOG.warn("stream delivery to one subscriber failed: {}", e.toString());
          }
        }
      }
    }
  }
}
