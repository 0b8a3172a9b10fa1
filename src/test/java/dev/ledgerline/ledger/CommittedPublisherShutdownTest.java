package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Stopping the ledger while commits are in flight publishes every committed transfer before the engine closes. */
@ExtendWith(VertxExtension.class)
class CommittedPublisherShutdownTest {
  private static final UInt128 A1 = UInt128.of(1);
  private static final UInt128 A2 = UInt128.of(2);
  private static final int REQUESTS = 400;
  private static final int PER_REQUEST = 20;

  @TempDir Path dir;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  /** The ledger's loggers (publisher, verticle, batcher, engine). */
  private final Logger publisherLog = (Logger) LoggerFactory.getLogger("dev.ledgerline.ledger");

  @AfterEach
  void stop() {
    publisherLog.detachAppender(logs);
  }

  @Test
  void everyCommittedTransferIsPublishedWhenTheLedgerStopsUnderLoad(Vertx vertx) {
    logs.start();
    publisherLog.addAppender(logs);
    LedgerVerticle verticle = new LedgerVerticle(LeasePostgres.context(vertx,
        NodeExtension.configWith(Map.of("ledger.engine.data-dir", dir.toString()))));
    String deployment = vertx.deployVerticle(verticle).await();
    Set<UInt128> published = ConcurrentHashMap.newKeySet();
    vertx.eventBus().<TransfersCommitted>consumer(LedgerApi.TRANSFERS_COMMITTED,
        m -> m.body().transfers().forEach(t -> published.add(t.id()))).completion().await();
    LedgerClient client = new LedgerClient(vertx, Duration.ofSeconds(30));
    assertThat(client.createAccounts(List.of(Account.of(A1, 1, 1, 0), Account.of(A2, 1, 1, 0))).await()).isEmpty();

    Set<UInt128> committed = ConcurrentHashMap.newKeySet();
    List<Future<List<CreateTransfersResult>>> replies = new ArrayList<>();
    for (int r = 0; r < REQUESTS; r++) {
      List<Transfer> request = new ArrayList<>();
      for (int i = 0; i < PER_REQUEST; i++) {
        request.add(Transfer.of(UInt128.of(1000L + r * PER_REQUEST + i), A1, A2, UInt128.ONE, 1, 1, 0));
      }
      replies.add(client.createTransfers(request).onSuccess(results -> {
        if (results.isEmpty()) request.forEach(t -> committed.add(t.id()));
      }));
    }
    // Stop while the first commits are being answered and published and the rest are still queued or in flight.
    Poll.until(Duration.ofSeconds(30), "a first commit", () -> !committed.isEmpty());
    vertx.undeploy(deployment).await();
    Future.join(replies).timeout(30, TimeUnit.SECONDS).otherwiseEmpty().await();

    assertThat(committed).isNotEmpty();
    Poll.until(Duration.ofSeconds(10), "every commit published", () -> published.containsAll(committed));
    assertThat(logs.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).isEmpty();
  }
}
