package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerApi.CreateAnswer;
import dev.ledgerline.ledger.LedgerApi.CreateAnswers;
import dev.ledgerline.ledger.LedgerApi.CreateRequests;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.Futures;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger client's coalescing: requests made on one event loop within one tick travel as one message, and each
 * still gets exactly the answer, or the typed failure, it would get alone.
 */
@ExtendWith(VertxExtension.class)
class LedgerCoalescingTest {
  private static final UInt128 A1 = UInt128.of(1);
  private static final UInt128 A2 = UInt128.of(2);

  @TempDir Path dir;
  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();
  private Vertx vertx;
  private GatedBackend gated;
  private LedgerVerticle verticle;
  private LedgerClient client;
  private final List<String> sent = new CopyOnWriteArrayList<>();

  @BeforeEach
  void vertx(Vertx testVertx) {
    vertx = testVertx;
  }

  private void start(Map<String, String> settings) {
    GatedBackend.Deployed deployed = GatedBackend.deploy(vertx, dir, settings);
    verticle = deployed.verticle();
    gated = deployed.gated();
    vertx.eventBus().addOutboundInterceptor(c -> {
      if (c.message().address().startsWith("ledger.") && c.message().replyAddress() != null) {
        sent.add(c.message().address());
      }
      c.next();
    });
    client = new LedgerClient(vertx, Duration.ofSeconds(60));
    assertThat(client.createAccounts(List.of(Account.of(A1, 1, 1, 0), Account.of(A2, 1, 1, 0))).await()).isEmpty();
    sent.clear();
  }

  @AfterEach
  void openTheGate() throws Exception {
    if (gated != null) gated.open();
  }

  private static Transfer transfer(long id, int flags) {
    return Transfer.of(UInt128.of(id, 9), A1, A2, UInt128.ONE, 1, 1, flags);
  }

  /** Runs {@code requests} in one task on one event-loop context, as a gateway instance would within one tick. */
  private <T> List<Future<T>> inOneTick(List<List<Transfer>> requests,
      Function<List<Transfer>, Future<T>> call) {
    Context context = vertx.getOrCreateContext();
    Promise<List<Future<T>>> made = Promise.promise();
    context.runOnContext(v -> made.complete(requests.stream().map(call).toList()));
    return made.future().await();
  }

  @Test
  void requestsOfOneTickTravelAsOneMessageAndEachGetsItsOwnResults() throws Exception {
    start(Map.of("ledger.request-timeout", "60s"));
    Transfer ok1 = transfer(1, 0);
    Transfer open = transfer(2, TransferFlags.LINKED);
    Transfer ok2 = transfer(3, 0);
    Transfer badAmount = Transfer.of(UInt128.of(4, 9), A1, A1, UInt128.ONE, 1, 1, 0);
    Transfer chainA = transfer(5, TransferFlags.LINKED);
    Transfer chainB = Transfer.of(UInt128.of(6, 9), A1, UInt128.of(99), UInt128.ONE, 1, 1, 0);
    List<List<Transfer>> requests = List.of(List.of(ok1), List.of(open), List.of(ok2), List.of(badAmount),
        List.of(chainA, chainB), List.of(ok1));
    List<List<CreateTransfersResult>> results = inOneTick(requests, client::createTransfers).stream()
        .map(f -> f.timeout(30, TimeUnit.SECONDS).await()).toList();

    assertThat(sent).containsExactly(LedgerApi.CREATE_MANY);
    // Exactly what each request gets alone: indexes are its own, an open chain stays its own.
    assertThat(results.get(0)).isEmpty();
    assertThat(results.get(1)).containsExactly(
        new CreateTransfersResult(0, CreateTransferResult.LINKED_EVENT_CHAIN_OPEN));
    assertThat(results.get(2)).isEmpty();
    assertThat(results.get(3)).containsExactly(
        new CreateTransfersResult(0, CreateTransferResult.ACCOUNTS_MUST_BE_DIFFERENT));
    assertThat(results.get(4)).containsExactly(
        new CreateTransfersResult(0, CreateTransferResult.LINKED_EVENT_FAILED),
        new CreateTransfersResult(1, CreateTransferResult.CREDIT_ACCOUNT_NOT_FOUND));
    assertThat(results.get(5)).containsExactly(new CreateTransfersResult(0, CreateTransferResult.EXISTS));
    assertThat(client.lookupTransfers(List.of(ok1.id(), ok2.id(), chainA.id())).await().stream()
        .map(Transfer::id).toList()).containsExactly(ok1.id(), ok2.id());
  }

  @Test
  void aLoneRequestAndRequestsOffTheEventLoopKeepTheirOwnMessage() throws Exception {
    start(Map.of("ledger.request-timeout", "60s"));
    assertThat(inOneTick(List.of(List.of(transfer(10, 0))), client::createTransfers).get(0).await()).isEmpty();
    assertThat(client.createTransfers(List.of(transfer(11, 0))).await()).isEmpty();
    assertThat(sent).containsExactly(LedgerApi.CREATE_TRANSFERS, LedgerApi.CREATE_TRANSFERS);
  }

  @Test
  void overloadIsTypedPerRequest() throws Exception {
    start(Map.of("ledger.queue.max-events", "2", "ledger.batch.max-events", "2", "ledger.request-timeout", "60s"));
    gated.shut();
    Future<List<CreateTransfersResult>> held = client.createTransfers(List.of(transfer(20, 0)));
    Poll.until(Duration.ofSeconds(10), "the held batch", () -> gated.batches.size() == 2);
    List<Future<List<CreateTransfersResult>>> replies = inOneTick(List.of(List.of(transfer(21, 0)),
        List.of(transfer(22, 0)), List.of(transfer(23, 0))), client::createTransfers);
    Poll.until(Duration.ofSeconds(10), "two requests queued", () -> verticle.batcher().queuedRequests() == 2);
    gated.open();
    assertThat(held.await()).isEmpty();
    // The queue took two events; the third request was refused (its answer travels with its message's).
    assertThat(replies.get(0).await()).isEmpty();
    assertThat(replies.get(1).await()).isEmpty();
    assertThat(Futures.failureOf(replies.get(2))).isInstanceOf(LedgerOverloadedException.class)
        .hasMessageContaining("overloaded");
    assertThat(client.lookupTransfers(List.of(UInt128.of(23, 9))).await()).isEmpty();
  }

  @Test
  void aDeadlineMakesEachRequestOutcomeUnknownWithItsOwnIds() throws Exception {
    start(Map.of("ledger.request-timeout", "400ms"));
    gated.shut();
    List<Transfer> first = List.of(transfer(30, 0), transfer(31, 0));
    List<Transfer> second = List.of(transfer(32, 0));
    List<Future<List<CreateTransfersResult>>> replies = inOneTick(List.of(first, second), client::createTransfers);
    Throwable a = Futures.failureOf(replies.get(0));
    Throwable b = Futures.failureOf(replies.get(1));
    assertThat(a).isInstanceOf(LedgerTimeoutException.class).hasMessageContaining("outcome unknown");
    assertThat(((LedgerTimeoutException) a).ids()).containsExactly(first.get(0).id(), first.get(1).id());
    assertThat(((LedgerTimeoutException) a).operation()).isEqualTo(LedgerApi.CREATE_TRANSFERS);
    assertThat(b).isInstanceOf(LedgerTimeoutException.class);
    assertThat(((LedgerTimeoutException) b).ids()).containsExactly(second.get(0).id());
  }

  @Test
  void noLedgerMeansUnavailableForEveryRequest() throws Exception {
    // No verticle deployed: the coalesced message finds no handler.
    LedgerApi.registerCodecs(vertx.eventBus());
    LedgerClient alone = new LedgerClient(vertx, Duration.ofSeconds(5));
    List<Future<List<CreateTransfersResult>>> replies = inOneTick(List.of(List.of(transfer(40, 0)),
        List.of(transfer(41, 0))), alone::createTransfers);
    for (Future<?> f : replies) {
      assertThat(Futures.failureOf(f)).isInstanceOf(LedgerUnavailableException.class)
          .hasMessageContaining(LedgerApi.CREATE_TRANSFERS);
    }
  }

  @Test
  @SuppressWarnings({"rawtypes", "unchecked"})
  void theWireFormKeepsEveryRequestAndAnswer() throws Exception {
    List<List<Account>> accounts = List.of(List.of(Account.of(A1, 1, 1, 0)),
        List.of(Account.of(A2, 2, 3, 0), Account.of(UInt128.of(3, 4), 5, 6, 0)), List.of());
    CreateRequests<Account> requests = new CreateRequests<>(Operation.CREATE_ACCOUNTS, accounts);
    // The event bus hands the codec a buffer that already holds its own header.
    Buffer wire = Buffer.buffer("header");
    LedgerApi.CREATE_REQUESTS_CODEC.encodeToWire(wire, requests);
    CreateRequests back = LedgerApi.CREATE_REQUESTS_CODEC.decodeFromWire(6, wire);
    assertThat(back.operation()).isSameAs(Operation.CREATE_ACCOUNTS);
    assertThat(back.requests()).isEqualTo(accounts);

    CreateAnswers<CreateTransfersResult> answers = new CreateAnswers<>(Operation.CREATE_TRANSFERS, List.of(
        CreateAnswer.ok(List.of()),
        CreateAnswer.ok(List.of(new CreateTransfersResult(1, CreateTransferResult.EXISTS))),
        CreateAnswer.failed(LedgerApi.FAILURE_OVERLOADED, "ledger.transfers.create: overloaded \u00e9")));
    Buffer answersWire = Buffer.buffer("header");
    LedgerApi.CREATE_ANSWERS_CODEC.encodeToWire(answersWire, answers);
    assertThat(LedgerApi.CREATE_ANSWERS_CODEC.decodeFromWire(6, answersWire)).isEqualTo(answers);
  }
}
