package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed-transfer feed: the backend's query in commit order after a cursor, and the ledger's publisher as a
 * consumer of it that skips nothing across failed lookups and restarts.
 */
@ExtendWith(VertxExtension.class)
class CommittedFeedTest {
  private static final UInt128 A1 = UInt128.of(1);
  private static final UInt128 A2 = UInt128.of(2);

  @TempDir Path dir;

  @Test
  void theEngineAnswersTransfersAfterACursorInCommitOrder() throws Exception {
    try (LedgerEngine engine = LedgerEngine.open(EngineConfig.of(dir))) {
      assertThat(engine.latestTransferTimestamp().toCompletableFuture().get()).isZero();
      engine.createAccounts(List.of(Account.of(A1, 1, 1, 0), Account.of(A2, 1, 1, 0))).toCompletableFuture().get();
      long id = 100;
      for (int batch : new int[] {5, 3, 4}) {
        List<Transfer> ts = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
          ts.add(Transfer.of(UInt128.of(id++), A1, A2, UInt128.ONE, 1, 1, 0));
        }
        assertThat(engine.createTransfers(ts).toCompletableFuture().get()).isEmpty();
      }
      List<Transfer> all = engine.transfersAfter(0, 100).toCompletableFuture().get();
      assertThat(all).extracting(t -> t.id().lo()).containsExactly(100L, 101L, 102L, 103L, 104L, 105L, 106L, 107L,
          108L, 109L, 110L, 111L);
      for (int i = 1; i < all.size(); i++) {
        assertThat(all.get(i).timestamp()).isGreaterThan(all.get(i - 1).timestamp());
      }
      long cursor = all.get(4).timestamp();
      assertThat(engine.transfersAfter(cursor, 100).toCompletableFuture().get()).extracting(t -> t.id().lo())
          .containsExactly(105L, 106L, 107L, 108L, 109L, 110L, 111L);
      assertThat(engine.transfersAfter(cursor, 2).toCompletableFuture().get()).extracting(t -> t.id().lo())
          .containsExactly(105L, 106L);
      long last = all.get(11).timestamp();
      assertThat(engine.transfersAfter(last, 100).toCompletableFuture().get()).isEmpty();
      assertThat(engine.latestTransferTimestamp().toCompletableFuture().get()).isEqualTo(last);
    }
  }

  /** The real backend, except that account lookups (the publisher's read of the balances) fail while told to. */
  private static final class FlakyLookups implements LedgerBackend {
    private final LedgerBackend d;
    volatile boolean failing;

    FlakyLookups(LedgerBackend delegate) {
      this.d = delegate;
    }

    @Override
    public CompletionStage<List<Account>> lookupAccounts(List<UInt128> ids) {
      if (failing) return CompletableFuture.failedFuture(new LedgerUnavailableException("lookup failed (test)"));
      return d.lookupAccounts(ids);
    }

    @Override
    public CompletionStage<List<CreateAccountsResult>> createAccounts(List<Account> accounts) {
      return d.createAccounts(accounts);
    }

    @Override
    public CompletionStage<List<CreateTransfersResult>> createTransfers(List<Transfer> transfers) {
      return d.createTransfers(transfers);
    }

    @Override
    public CompletionStage<List<Transfer>> lookupTransfers(List<UInt128> ids) {
      return d.lookupTransfers(ids);
    }

    @Override
    public CompletionStage<List<Transfer>> getAccountTransfers(AccountFilter filter) {
      return d.getAccountTransfers(filter);
    }

    @Override
    public CompletionStage<List<AccountBalance>> getAccountBalances(AccountFilter filter) {
      return d.getAccountBalances(filter);
    }

    @Override
    public CompletionStage<List<Account>> queryAccounts(QueryFilter filter) {
      return d.queryAccounts(filter);
    }

    @Override
    public CompletionStage<List<Transfer>> queryTransfers(QueryFilter filter) {
      return d.queryTransfers(filter);
    }

    @Override
    public void close() {
      d.close();
    }
  }

  @Test
  void nothingCommittedIsSkippedAcrossFailedLookupsAndARestart(Vertx vertx) {
    Map<String, String> keys = Map.of("ledger.engine.data-dir", dir.toString(), "feed.poll-interval", "100ms");
    List<UInt128> published = Collections.synchronizedList(new ArrayList<>());
    List<Long> stamps = Collections.synchronizedList(new ArrayList<>());
    vertx.eventBus().<TransfersCommitted>consumer(LedgerApi.TRANSFERS_COMMITTED, m -> m.body().transfers()
        .forEach(t -> {
          published.add(t.id());
          stamps.add(t.timestamp());
        })).completion().await();
    List<UInt128> committed = new ArrayList<>();
    LedgerClient client = new LedgerClient(vertx, Duration.ofSeconds(30));

    FlakyLookups[] first = new FlakyLookups[1];
    NodeContext node = LeasePostgres.context(vertx, NodeExtension.configWith(keys));
    String deployment = vertx.deployVerticle(new LedgerVerticle(node, b -> first[0] = new FlakyLookups(b))).await();
    assertThat(client.createAccounts(List.of(Account.of(A1, 1, 1, 0), Account.of(A2, 1, 1, 0))).await()).isEmpty();
    commit(client, committed, 0, 30);
    Poll.until(Duration.ofSeconds(20), "the first transfers published", () -> published.containsAll(committed));

    // Lookups fail: nothing is published, the cursor stays; once they work again the next poll publishes all.
    first[0].failing = true;
    commit(client, committed, 30, 30);
    first[0].failing = false;
    Poll.until(Duration.ofSeconds(20), "published after the lookups recover", () -> published.containsAll(committed));

    // Lookups fail until the ledger stops: the transfers committed meanwhile are published by the next start.
    first[0].failing = true;
    commit(client, committed, 60, 40);
    vertx.undeploy(deployment).await();
    List<UInt128> beforeRestart = List.copyOf(published);
    assertThat(beforeRestart).doesNotContainAnyElementsOf(committed.subList(60, 100));

    vertx.deployVerticle(new LedgerVerticle(node)).await();
    Poll.until(Duration.ofSeconds(20), "published after the restart", () -> published.containsAll(committed));
    // In commit order, each once (a crash could repeat some; a clean stop does not).
    assertThat(new ArrayList<>(new LinkedHashSet<>(published))).containsExactlyElementsOf(committed);
    assertThat(published).doesNotHaveDuplicates();
    // Any node reads the same feed over the bus.
    assertThat(client.transfersAfter(0, LedgerBackend.BATCH_MAX).await()).extracting(Transfer::id)
        .containsExactlyElementsOf(committed);
    synchronized (stamps) {
      for (int i = 1; i < stamps.size(); i++) {
        assertThat(stamps.get(i)).isGreaterThan(stamps.get(i - 1));
      }
    }
  }

  /** {@code count} transfers in requests of 10, one request after the other, all committed. */
  private static void commit(LedgerClient client, List<UInt128> committed, int from, int count) {
    for (int r = from; r < from + count; r += 10) {
      List<Transfer> request = new ArrayList<>();
      for (int i = r; i < Math.min(from + count, r + 10); i++) {
        request.add(Transfer.of(UInt128.of(1000L + i), A1, A2, UInt128.ONE, 1, 1, 0));
      }
      assertThat(client.createTransfers(request).timeout(30, TimeUnit.SECONDS).await()).isEmpty();
      request.forEach(t -> committed.add(t.id()));
    }
  }
}
