package dev.ledgerline.events.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The committed-transfer feed of webhooks against a real ledger and PostgreSQL, step by step (the node runs no
 * gateway, so no other reader moves the cursor): without a subscriber the cursor skips to the ledger's end, with one
 * every transfer becomes a message.
 */
class TransferWebhooksTest {
  @RegisterExtension
  static final NodeExtension LEDGER_NODE = NodeExtension.node().roles("ledger").build();
  /** A ledger standing for the event store's in this test. */
  private static final int EVENTS_LEDGER = 91;
  private static final AtomicLong NEXT = new AtomicLong(System.nanoTime() & 0xFFFF_FFFFL);

  private Pool pool;
  private LedgerClient ledger;
  private TransferWebhooks feed;

  @BeforeEach
  void setUp() {
    pool = LEDGER_NODE.get().services().pool();
    ledger = new LedgerClient(LEDGER_NODE.get().vertx(), Duration.ofSeconds(30));
    // Polls and wake-ups never come within a test: each step is the test's.
    feed = new TransferWebhooks(LEDGER_NODE.get().vertx(), pool, ledger, t -> Buffer.buffer("{\"id\":\"" + t.id()
        + "\"}"), Duration.ofHours(1), Duration.ofHours(1), 100, EVENTS_LEDGER);
  }

  @AfterEach
  void tearDown() {
    feed.stop().await();
    pool.query("DELETE FROM webhook_deliveries").execute().await();
    pool.query("DELETE FROM webhook_messages").execute().await();
    pool.query("DELETE FROM webhook_endpoints").execute().await();
  }

  private Transfer transfer() {
    return transfer(1);
  }

  private Transfer transfer(int ledgerId) {
    long a = NEXT.incrementAndGet() * 2;
    ledger.createAccounts(List.of(Account.of(UInt128.of(a), ledgerId, 1, 0),
        Account.of(UInt128.of(a + 1), ledgerId, 1, 0))).await();
    UInt128 id = UInt128.of(a, 0x7E57);
    ledger.createTransfers(List.of(Transfer.of(id, UInt128.of(a), UInt128.of(a + 1), UInt128.of(5), ledgerId, 1, 0)))
        .await();
    return ledger.lookupTransfers(List.of(id)).await().get(0);
  }

  /** An operator's endpoint, for every account. */
  private void subscribeForEveryAccount() {
    pool.preparedQuery("INSERT INTO webhook_endpoints (id, owner, all_accounts, url, events) VALUES ($1, 'ops', "
            + "true, 'http://127.0.0.1:9/x', ARRAY['transfer.committed'])")
        .execute(Tuple.of(UUID.randomUUID())).await();
  }

  private long cursor() {
    return pool.preparedQuery("SELECT position FROM ledger_feed_cursors WHERE consumer = $1 AND ledger = $2")
        .execute(Tuple.of(TransferWebhooks.CONSUMER, TransferWebhooks.LEDGER)).await().iterator().next().getLong(0);
  }

  private long messages(Transfer t) {
    return pool.preparedQuery("SELECT count(*) FROM webhook_messages WHERE id = $1")
        .execute(Tuple.of(new UUID(t.id().hi(), t.id().lo()))).await().iterator().next().getLong(0);
  }

  @Test
  void withoutASubscriberTheCursorSkipsToTheEndAndWithOneEveryTransferBecomesAMessage() {
    Transfer before = transfer();
    // The first read of the cluster starts at the ledger's end, whoever subscribes.
    feed.step().await();
    assertThat(cursor()).isGreaterThanOrEqualTo(before.timestamp());

    Transfer unheard = transfer();
    assertThat(feed.step().await()).isFalse();
    assertThat(cursor()).isEqualTo(unheard.timestamp());
    assertThat(messages(unheard)).isZero();
    // Nothing new: nothing moves.
    assertThat(feed.step().await()).isFalse();
    assertThat(cursor()).isEqualTo(unheard.timestamp());

    // An operator's endpoint, for every account.
    subscribeForEveryAccount();
    Transfer heard = transfer();
    feed.step().await();
    assertThat(cursor()).isEqualTo(heard.timestamp());
    assertThat(messages(heard)).isEqualTo(1);
    assertThat(messages(unheard)).isZero();

    // The endpoint goes: the next step, which had a subscriber last time, skips to the end again.
    pool.query("DELETE FROM webhook_deliveries").execute().await();
    pool.query("DELETE FROM webhook_endpoints").execute().await();
    Transfer afterwards = transfer();
    assertThat(feed.step().await()).isFalse();
    assertThat(cursor()).isEqualTo(afterwards.timestamp());
    assertThat(messages(afterwards)).isZero();
  }

  /** The event store's transfers record events: no endpoint, not even one for every account, hears of them. */
  @Test
  void theEventStoresTransfersBecomeNoMessage() {
    feed.step().await();
    subscribeForEveryAccount();
    Transfer event = transfer(EVENTS_LEDGER);
    Transfer money = transfer();

    // A commit's publication may have started a step of the feed's own meanwhile, holding the cursor's row: the
    // test's step then leaves it, and the next one reads what is left.
    Poll.until(Duration.ofSeconds(10), "the money transfer's message", () -> {
      feed.step().await();
      return messages(money) == 1;
    });
    assertThat(messages(event)).isZero();
    assertThat(cursor()).isEqualTo(money.timestamp());
  }

  /** A cursor row gone while a subscriber reads (an operator removed it) is made again, and the feed goes on. */
  @Test
  void aCursorRowGoneWhileSubscribedIsMadeAgain() {
    feed.step().await();
    subscribeForEveryAccount();
    Transfer first = transfer();
    Poll.until(Duration.ofSeconds(10), "the first message", () -> {
      feed.step().await();
      return messages(first) == 1;
    });
    pool.preparedQuery("DELETE FROM ledger_feed_cursors WHERE consumer = $1 AND ledger = $2")
        .execute(Tuple.of(TransferWebhooks.CONSUMER, TransferWebhooks.LEDGER)).await();

    Poll.until(Duration.ofSeconds(10), "the cursor row made again", () -> {
      feed.step().await();
      return pool.preparedQuery("SELECT count(*) FROM ledger_feed_cursors WHERE consumer = $1 AND ledger = $2")
          .execute(Tuple.of(TransferWebhooks.CONSUMER, TransferWebhooks.LEDGER)).await().iterator().next()
          .getLong(0) == 1;
    });
    Transfer later = transfer();
    Poll.until(Duration.ofSeconds(10), "the later message", () -> {
      feed.step().await();
      return messages(later) == 1;
    });
  }

  /** While another node holds the cursor's row for a page, a subscriber's step leaves it and does not spin. */
  @Test
  void aStepFindingTheCursorTakenByAnotherNodeLeavesIt() {
    feed.step().await();
    subscribeForEveryAccount();
    var other = pool.getConnection().await();
    var tx = other.begin().await();
    try {
      other.preparedQuery("SELECT position FROM ledger_feed_cursors WHERE consumer = $1 AND ledger = $2 FOR UPDATE")
          .execute(Tuple.of(TransferWebhooks.CONSUMER, TransferWebhooks.LEDGER)).await();
      Transfer waiting = transfer();
      assertThat(feed.step().await()).isFalse();
      assertThat(messages(waiting)).isZero();
      tx.rollback().await();
      // The feed's own step (woken by the commit) may hold the row for a moment now: a step finding it taken leaves
      // it, and the next one reads.
      Poll.until(Duration.ofSeconds(10), "the message once the row is free", () -> {
        feed.step().await();
        return messages(waiting) == 1;
      });
    } finally {
      other.close().await();
    }
  }
}
