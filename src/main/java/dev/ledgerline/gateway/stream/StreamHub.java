package dev.ledgerline.gateway.stream;

import dev.ledgerline.ledger.LedgerApi;
import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriptions of one gateway instance's stream connections, fed by {@link LedgerApi#TRANSFERS_COMMITTED}.
 * Every gateway instance on every node receives every committed batch (a publish), so a client may connect to any
 * node. Confined to the instance's event loop: the connections and the consumer share its context.
 */
public final class StreamHub {
  private static final Logger LOG = LoggerFactory.getLogger(StreamHub.class);
  private final Vertx vertx;
  private final Map<UInt128, Set<StreamConnection>> byAccount = new HashMap<>();
  private final StreamCursorKey cursorKey;
  private MessageConsumer<TransfersCommitted> consumer;

  /** Without cursors (tests of delivery alone). */
  public StreamHub(Vertx vertx) {
    this(vertx, null);
  }

  public StreamHub(Vertx vertx, StreamCursorKey cursorKey) {
    this.vertx = vertx;
    this.cursorKey = cursorKey;
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
    Map<UInt128, Account> accounts = new HashMap<>();
    for (Account a : event.accounts()) {
      accounts.put(a.id(), a);
    }
    Map<UInt128, String> balances = new HashMap<>();
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
        Account a = accounts.get(id);
        String balance = a == null ? null : balances.computeIfAbsent(id, x -> StreamFrames.balanceFields(a));
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
