package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.Workload.Request;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Many concurrent requesters share batches through the real verticle and engine, yet each gets its own results. */
class LedgerBatchingTest {
  private static final int REQUESTERS = 48;
  @RegisterExtension
  final NodeExtension ledger = NodeExtension.node().roles("ledger").build();

  @Test
  void concurrentRequestersShareBatchesAndEachGetsExactlyItsResultsAlone(Node node, @TempDir Path aloneDir)
      throws Exception {
    List<List<List<?>>> viaBus = new ArrayList<>();
    LedgerClient client = new LedgerClient(node.vertx(), Duration.ofSeconds(30));
    List<Future<?>> all = new ArrayList<>();
    for (int r = 0; r < REQUESTERS; r++) {
      List<List<?>> results = new ArrayList<>();
      viaBus.add(results);
      Future<Void> chain = Future.succeededFuture();
      for (Request req : Workload.requester(r)) {
        chain = chain.compose(v -> send(client, req).map(res -> {
          results.add(res);
          return null;
        }));
      }
      all.add(chain);
    }
    Future.all(all).timeout(60, TimeUnit.SECONDS).await();

    // The same requests, one by one, each alone on a fresh engine.
    List<List<List<?>>> alone = new ArrayList<>();
    try (LedgerEngine engine = LedgerEngine.open(EngineConfig.of(aloneDir))) {
      for (int r = 0; r < REQUESTERS; r++) {
        List<List<?>> results = new ArrayList<>();
        for (Request req : Workload.requester(r)) {
          results.add(req.isAccounts() ? engine.createAccounts(req.accounts()).toCompletableFuture().get()
              : engine.createTransfers(req.transfers()).toCompletableFuture().get());
        }
        alone.add(results);
      }
      assertThat(viaBus).isEqualTo(alone);
      // The workload really produces failures, chains and open chains (the comparison is not of empty lists).
      assertThat(alone.get(0).stream().filter(l -> !l.isEmpty()).count()).isGreaterThanOrEqualTo(10);

      // Same final balances and flags, account by account; same stored transfers (timestamps aside).
      for (int r = 0; r < REQUESTERS; r++) {
        List<Account> busAccounts = client.lookupAccounts(Workload.accountIds(r)).await();
        List<Account> aloneAccounts = engine.lookupAccounts(Workload.accountIds(r)).toCompletableFuture().get();
        assertThat(busAccounts.stream().map(a -> a.withTimestamp(0)).toList())
            .isEqualTo(aloneAccounts.stream().map(a -> a.withTimestamp(0)).toList());
        List<Transfer> busTransfers = client.lookupTransfers(Workload.transferIds(r)).await();
        List<Transfer> aloneTransfers = engine.lookupTransfers(Workload.transferIds(r)).toCompletableFuture().get();
        assertThat(busTransfers.stream().map(t -> t.withTimestamp(0)).toList())
            .isEqualTo(aloneTransfers.stream().map(t -> t.withTimestamp(0)).toList());
      }
    }

    // Requests did share batches: fewer batches than requests, and some batches held many requests' events.
    io.vertx.ext.web.client.WebClient web = io.vertx.ext.web.client.WebClient.create(node.vertx());
    String metrics = web.get(ledger.managementPort(), "127.0.0.1", "/metrics").send().await().bodyAsString();
    web.close();
    long requests = (long) REQUESTERS * Workload.requester(0).stream().filter(q -> !q.isAccounts()).count();
    double batches = metric(metrics, "ledger_batch_events_count\\{operation=\"create_transfers\",?\\}");
    double events = metric(metrics, "ledger_batch_events_sum\\{operation=\"create_transfers\",?\\}");
    double max = metric(metrics, "ledger_batch_events_max\\{operation=\"create_transfers\",?\\}");
    assertThat(batches).isLessThan(requests);
    assertThat(events).isEqualTo((double) REQUESTERS * Workload.requester(0).stream()
        .filter(q -> !q.isAccounts()).mapToInt(q -> q.transfers().size()).sum());
    assertThat(max).isGreaterThan(5);
    assertThat(metrics).containsPattern("ledger_results_total\\{operation=\"create_transfers\",result=\"linked_event_failed\",?\\}");
  }

  private static Future<List<?>> send(LedgerClient client, Request req) {
    return req.isAccounts() ? client.createAccounts(req.accounts()).map(l -> (List<?>) l)
        : client.createTransfers(req.transfers()).map(l -> (List<?>) l);
  }

  static double metric(String body, String nameRegex) {
    Matcher m = Pattern.compile("(?m)^" + nameRegex + " ([0-9.eE+-]+)$").matcher(body);
    assertThat(m.find()).as("metric " + nameRegex + " in\n" + body).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
