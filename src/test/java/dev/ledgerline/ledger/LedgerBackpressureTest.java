package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overload, deadlines, request limits and batch boundaries of the real verticle over the real engine. The engine is
 * wrapped so the answer to a batch can be held back (the batch itself executes at once), which makes "in flight"
 * deterministic without sleeping.
 */
@ExtendWith(VertxExtension.class)
class LedgerBackpressureTest {
  private static final UInt128 A1 = UInt128.of(1);
  private static final UInt128 A2 = UInt128.of(2);

  @TempDir Path dir;
  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();
  private Vertx vertx;
  private GatedBackend gated;
  private LedgerVerticle verticle;
  private LedgerClient client;

  @BeforeEach
  void vertx(Vertx testVertx) {
    vertx = testVertx;
  }

  private void start(Map<String, String> settings) {
    GatedBackend.Deployed deployed = GatedBackend.deploy(vertx, dir, settings);
    verticle = deployed.verticle();
    gated = deployed.gated();
    // Replies are held for as long as a test keeps the gate shut: the client must not give up first.
    client = new LedgerClient(vertx, Duration.ofSeconds(60));
    assertThat(client.createAccounts(List.of(Account.of(A1, 1, 1, 0), Account.of(A2, 1, 1, 0))).await()).isEmpty();
  }

  @AfterEach
  void openTheGate() {
    // Before Vert.x closes: held work must be let go for the verticle to stop.
    if (gated != null) gated.open();
  }

  private static Transfer transfer(long id, int flags) {
    return Transfer.of(UInt128.of(id, 9), A1, A2, UInt128.ONE, 1, 1, flags);
  }

  private static Throwable failure(Future<?> f) {
    try {
      f.timeout(30, TimeUnit.SECONDS).await();
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void overloadIsRefusedAtOnceWithoutLosingOrDuplicatingAcceptedWork() {
    // A deadline far away: the held work must still be waiting, not timed out, when the gate opens.
    start(Map.of("ledger.queue.max-events", "8", "ledger.batch.max-events", "4", "ledger.request-timeout", "60s"));
    gated.shut();
    List<Transfer> accepted = new ArrayList<>();
    List<Future<List<CreateTransfersResult>>> acceptedReplies = new ArrayList<>();
    Transfer first = transfer(100, 0);
    accepted.add(first);
    acceptedReplies.add(client.createTransfers(List.of(first)));
    Poll.until(Duration.ofSeconds(10), "accounts, then the held batch", () -> gated.batches.size() == 2);
    for (int i = 1; i <= 8; i++) {
      Transfer t = transfer(100 + i, 0);
      accepted.add(t);
      acceptedReplies.add(client.createTransfers(List.of(t)));
    }
    Poll.until(Duration.ofSeconds(10), "8 events queued", () -> verticle.batcher().queuedEvents() == 8);

    List<Transfer> refused = new ArrayList<>();
    for (int i = 9; i <= 12; i++) {
      Transfer t = transfer(100 + i, 0);
      refused.add(t);
      // Answered while the batch in flight is still held: refused at once, not after a wait.
      assertThat(failure(client.createTransfers(List.of(t)))).isInstanceOf(LedgerOverloadedException.class)
          .hasMessageContaining("overloaded");
    }
    gated.open();
    for (Future<List<CreateTransfersResult>> f : acceptedReplies) assertThat(f.await()).isEmpty();
    // The queued eight went in batches of at most max-events, in arrival order.
    assertThat(gated.batches.subList(2, gated.batches.size())).containsExactly(
        ids(accepted.subList(1, 5)), ids(accepted.subList(5, 9)));

    List<UInt128> everything = new ArrayList<>(ids(accepted));
    everything.addAll(ids(refused));
    assertThat(client.lookupTransfers(everything).await().stream().map(Transfer::id).toList())
        .containsExactlyElementsOf(ids(accepted));
    Account a1 = client.lookupAccounts(List.of(A1)).await().get(0);
    assertThat(a1.debitsPosted()).isEqualTo(UInt128.of(accepted.size()));
    // Refused work was not executed: it can simply be sent again.
    assertThat(client.createTransfers(refused).await()).isEmpty();
  }

  @Test
  void aDeadlineReturnsOutcomeUnknownAndALaterLookupFindsTheCommittedTransfers() {
    start(Map.of("ledger.request-timeout", "400ms"));
    gated.shut();
    List<Transfer> held = List.of(transfer(200, 0), transfer(201, 0));
    long t0 = System.nanoTime();
    Future<List<CreateTransfersResult>> heldReply = client.createTransfers(held);
    Poll.until(Duration.ofSeconds(10), "two batches", () -> gated.batches.size() == 2);
    Transfer queued = transfer(202, 0);
    Future<List<CreateTransfersResult>> queuedReply = client.createTransfers(List.of(queued));

    Throwable err = failure(heldReply);
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(400));
    assertThat(err).isInstanceOf(LedgerTimeoutException.class).hasMessageContaining("outcome unknown");
    LedgerTimeoutException timeout = (LedgerTimeoutException) err;
    assertThat(timeout.outcomeUnknown()).isTrue();
    assertThat(timeout.operation()).isEqualTo(LedgerApi.CREATE_TRANSFERS);
    assertThat(timeout.ids()).containsExactlyElementsOf(ids(held));
    assertThat(failure(queuedReply)).isInstanceOf(LedgerTimeoutException.class);

    // The write did commit; the lookup is answered although that batch's answer is still held.
    assertThat(client.lookupTransfers(timeout.ids()).await().stream().map(Transfer::id).toList())
        .containsExactlyElementsOf(ids(held));
    gated.open();
    // The queued request never reached the backend; the caller learns that from the same lookup.
    assertThat(client.lookupTransfers(List.of(queued.id())).await()).isEmpty();
    // Resubmitting is safe either way: ids make creates idempotent.
    assertThat(client.createTransfers(List.of(held.get(0), queued)).await())
        .containsExactly(new CreateTransfersResult(0, CreateTransferResult.EXISTS));
  }

  @Test
  void oversizedRequestsAreRefusedAndBatchesRespectOpenChainsAndImportedBoundaries() {
    start(Map.of("ledger.batch.max-events", "4", "ledger.request-timeout", "60s"));
    List<Transfer> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) five.add(transfer(300 + i, 0));
    assertThat(failure(client.createTransfers(five))).isInstanceOf(RequestTooLargeException.class)
        .hasMessageContaining("ledger.batch.max-events = 4");
    assertThat(client.lookupTransfers(ids(five)).await()).isEmpty();
    assertThat(client.createTransfers(five.subList(0, 4)).await()).isEmpty();
    assertThat(failure(client.createTransfers(new ArrayList<>(java.util.Collections.nCopies(8191, five.get(0))))))
        .isInstanceOf(RequestTooLargeException.class);

    gated.shut();
    Future<List<CreateTransfersResult>> inFlight = client.createTransfers(List.of(transfer(400, 0)));
    Poll.until(Duration.ofSeconds(10), "three batches", () -> gated.batches.size() == 3);
    Transfer b1 = transfer(401, 0);
    Transfer b2 = transfer(402, 0);
    Transfer open = transfer(403, TransferFlags.LINKED);
    Transfer b3 = transfer(404, 0);
    Transfer c1 = transfer(405, TransferFlags.IMPORTED);
    Transfer c2 = transfer(406, TransferFlags.IMPORTED);
    Transfer b4 = transfer(407, 0);
    List<Future<List<CreateTransfersResult>>> replies = new ArrayList<>();
    for (Transfer t : List.of(b1, b2, open, b3, c1, c2, b4)) replies.add(client.createTransfers(List.of(t)));
    Poll.until(Duration.ofSeconds(10), "7 requests queued", () -> verticle.batcher().queuedRequests() == 7);
    gated.open();
    assertThat(inFlight.await()).isEmpty();
    List<List<CreateTransfersResult>> results = replies.stream().map(f -> f.await()).toList();
    // The open chain ends its batch; imported requests never share a batch with non-imported ones.
    assertThat(gated.batches.subList(3, gated.batches.size())).containsExactly(
        ids(List.of(b1, b2, open)), ids(List.of(b3)), ids(List.of(c1, c2)), ids(List.of(b4)));
    assertThat(results.get(2)).containsExactly(
        new CreateTransfersResult(0, CreateTransferResult.LINKED_EVENT_CHAIN_OPEN));
    assertThat(results.get(3)).isEmpty();
    assertThat(results.get(4)).containsExactly(
        new CreateTransfersResult(0, CreateTransferResult.IMPORTED_EVENT_TIMESTAMP_OUT_OF_RANGE));
    assertThat(results.get(6)).isEmpty();
  }

  @Test
  void batchSettingsReloadWhileRunning(@TempDir Path confDir) throws Exception {
    Path file = confDir.resolve("ledgerline.yaml");
    String base = "config:\n  scan-interval: 100ms\nnode:\n  roles: [ledger]\nledger:\n  engine:\n    data-dir: \""
        + dir.toString().replace("\\", "/") + "\"\n  batch:\n";
    Files.writeString(file, base + "    max-events: 8190\n    linger: 0ms\n");
    int mgmt = FreePorts.next();
    LeasePostgres.clearLease();
    ConfigService config = ConfigService.load(new ConfigService.Source(file, Map.of(), Map.of(), Map.of(
        "management.port", String.valueOf(mgmt), "gateway.port", String.valueOf(FreePorts.next()),
        "postgres.mode", "external", "postgres.url", LeasePostgres.url())));
    Node node = nodes.start(config);
    LedgerClient c = new LedgerClient(node.vertx(), Duration.ofSeconds(10));
    assertThat(c.createAccounts(List.of(Account.of(A1, 1, 1, 0), Account.of(A2, 1, 1, 0))).await()).isEmpty();
    // In one step, so the watcher never reads a half-written file.
    Path next = confDir.resolve("next.yaml");
    Files.writeString(next, base + "    max-events: 3\n    linger: 2ms\n");
    Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Poll.until(Duration.ofSeconds(20), "the reload reached the batcher", () -> maxEvents(node, mgmt) == 3);
    List<Transfer> four = List.of(transfer(1, 0), transfer(2, 0), transfer(3, 0), transfer(4, 0));
    assertThat(failure(c.createTransfers(four))).isInstanceOf(RequestTooLargeException.class)
        .hasMessageContaining("ledger.batch.max-events = 3");
    assertThat(c.createTransfers(four.subList(0, 3)).await()).isEmpty();
  }

  private static int maxEvents(Node node, int mgmt) {
    var health = Health.ready(node.vertx(), mgmt).getValue();
    return Health.check(health, "role.ledger").getJsonObject("data").getInteger("maxEvents", -1);
  }

  private static List<UInt128> ids(List<Transfer> transfers) {
    return transfers.stream().map(Transfer::id).toList();
  }
}
