package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.transactions.NewPayment;
import dev.ledgerline.transactions.Payment;
import dev.ledgerline.transactions.PaymentStore;
import dev.ledgerline.transactions.PaymentWorkflow;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole saga with the real ledger activities, the real payments table and a provider that answers from a script:
 * the ledger shows what each outcome must leave behind, and the payment row tells the same story.
 */
class PaymentSagaLedgerTest {
  @RegisterExtension
  static final NodeExtension LEDGER_NODE = NodeExtension.node().roles("ledger").build();

  private static final String QUEUE = "transaction-processing";
  private static final int LEDGER = 8;
  private static final long FUNDED = 1_000;

  private TestWorkflowEnvironment env;
  private LedgerClient ledger;
  private PaymentStore store;
  private Provider provider;
  private UInt128 payer;

  /** The provider's side, scripted: settles at once, or declines. */
  public static final class Provider implements ProviderActivities {
    volatile boolean decline;

    @Override
    public ProviderTransfer createTransfer(ProviderTransferRequest request) {
      if (decline) {
        throw ApplicationFailure.newNonRetryableFailure("refused by the bank", SagaFailures.PROVIDER_DECLINED);
      }
      return new ProviderTransfer("tr-" + request.paymentId(), "settled", ProviderTransfer.Outcome.SUCCEEDED, null);
    }

    @Override
    public ProviderTransfer getTransfer(String provider, String paymentId, String reference) {
      return new ProviderTransfer(reference, "settled", ProviderTransfer.Outcome.SUCCEEDED, null);
    }

    @Override
    public void cancelTransfer(String provider, String paymentId, String reference) {}

    @Override
    public void cancelUnanswered(ProviderTransferRequest request) {}
  }

  @BeforeEach
  void setUp() {
    ledger = new LedgerClient(LEDGER_NODE.get().vertx(), Duration.ofSeconds(30));
    store = new PaymentStore(LEDGER_NODE.get().services().pool(), new EventPublisher(EventTypes.KNOWN, 65_536));
    provider = new Provider();
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(PaymentWorkflowImpl.class);
    worker.registerActivitiesImplementations(new LedgerSagaActivitiesImpl(ledger),
        new PaymentRecordActivitiesImpl(store, ledger, SagaSettings.DEFAULTS), provider);
    env.start();

    UInt128 source = randomId();
    payer = randomId();
    assertThat(ledger.createAccounts(List.of(Account.of(source, LEDGER, 1, AccountFlags.NONE),
        Account.of(payer, LEDGER, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS))).await()).isEmpty();
    assertThat(ledger.createTransfers(List.of(Transfer.of(randomId(), source, payer, UInt128.of(FUNDED), LEDGER, 1,
        TransferFlags.NONE))).await()).isEmpty();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private static UInt128 randomId() {
    return UInt128.of(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE), 0x5A6B);
  }

  private Payment pay(long amount) {
    Payment p = store.create(new NewPayment("alice", payer.toString(), Long.toString(amount), LEDGER, 1, "plaid",
        "link-1", null, null)).await();
    PaymentWorkflow wf = env.getWorkflowClient().newWorkflowStub(PaymentWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("transaction-" + p.id()).build());
    wf.process(p.id());
    return store.get(p.id()).await().orElseThrow();
  }

  private Account account(UInt128 id) {
    return ledger.lookupAccounts(List.of(id)).await().get(0);
  }

  private Transfer transfer(String paymentId, String step) {
    List<Transfer> found = ledger.lookupTransfers(List.of(PaymentLedgerIds.transfer(paymentId, step))).await();
    return found.isEmpty() ? null : found.get(0);
  }

  @Test
  void aCompletedPaymentHasBothHoldsPosted() {
    Payment p = pay(250);

    assertThat(p.status()).isEqualTo(PaymentStatus.COMPLETED);
    assertThat(p.providerReference()).isEqualTo("tr-" + p.id());
    assertThat(transfer(p.id(), PaymentLedgerIds.COMMIT_RESERVE).pendingId())
        .isEqualTo(PaymentLedgerIds.transfer(p.id(), PaymentLedgerIds.RESERVE));
    assertThat(transfer(p.id(), PaymentLedgerIds.COMMIT_PENDING).pendingId())
        .isEqualTo(PaymentLedgerIds.transfer(p.id(), PaymentLedgerIds.PENDING));
    assertThat(account(payer).debitsPosted()).isEqualTo(UInt128.of(250));
    assertThat(account(payer).debitsPending()).isEqualTo(UInt128.ZERO);
    assertThat(p.steps().stream().map(s -> ((JsonObject) s).getString("event")).toList())
        .containsExactly("FundsReserved", "PendingTransferCreated", "ExternalPaymentRequested",
            "ExternalPaymentSucceeded", "TransferCommitted", "PaymentCompleted");
  }

  @Test
  void aDeclineVoidsBothHoldsAndRestoresTheBalance() {
    provider.decline = true;

    Payment p = pay(250);

    assertThat(p.status()).isEqualTo(PaymentStatus.COMPENSATED);
    assertThat(p.failureReason()).contains(SagaFailures.PROVIDER_DECLINED);
    assertThat(transfer(p.id(), PaymentLedgerIds.VOID_RESERVE)).isNotNull();
    assertThat(transfer(p.id(), PaymentLedgerIds.VOID_PENDING)).isNotNull();
    assertThat(transfer(p.id(), PaymentLedgerIds.COMMIT_RESERVE)).isNull();
    Account a = account(payer);
    assertThat(a.debitsPending()).isEqualTo(UInt128.ZERO);
    assertThat(a.debitsPosted()).isEqualTo(UInt128.ZERO);
    assertThat(a.creditsPosted()).isEqualTo(UInt128.of(FUNDED));
  }

  @Test
  void insufficientFundsFailsWithNothingWritten() {
    Payment p = pay(FUNDED + 1);

    assertThat(p.status()).isEqualTo(PaymentStatus.FAILED);
    assertThat(p.failureReason()).contains(SagaFailures.INSUFFICIENT_FUNDS);
    assertThat(transfer(p.id(), PaymentLedgerIds.RESERVE)).isNull();
    assertThat(account(payer).debitsPending()).isEqualTo(UInt128.ZERO);
  }

  @Test
  void aReDrivenCompletedSagaMovesNoMoneyTwice() {
    Payment p = pay(250);
    // Forget the workflow (an in-process server after a restart) and run the payment's saga again from its row,
    // as if it had stopped just before its last write.
    store.record(new PaymentUpdate(p.id(), UUID.randomUUID().toString(), "TransferCommitted",
        PaymentStatus.COMMITTED, "commit-transfer", System.currentTimeMillis(), Map.of())).await();
    PaymentWorkflow again = env.getWorkflowClient().newWorkflowStub(PaymentWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("transaction-" + p.id() + "-again").build());
    again.process(p.id());

    assertThat(store.get(p.id()).await().orElseThrow().status()).isEqualTo(PaymentStatus.COMPLETED);
    assertThat(account(payer).debitsPosted()).isEqualTo(UInt128.of(250));
    assertThat(account(payer).debitsPending()).isEqualTo(UInt128.ZERO);
  }

  /**
   * A re-driven run reads the cancel its row holds, unless the provider's success is in the row before it: such a
   * cancel came too late, and the run goes on as the one that got it as a signal did.
   */
  @Test
  void aRecordedCancelIsReadUnlessTheProvidersSuccessIsRecordedToo() {
    // Rows only: no run has gone anywhere with them.
    Payment early = store.create(new NewPayment("alice", payer.toString(), "250", LEDGER, 1, "plaid", "link-1", null,
        null)).await();
    Payment late = store.create(new NewPayment("alice", payer.toString(), "250", LEDGER, 1, "plaid", "link-1", null,
        null)).await();
    var pool = LEDGER_NODE.get().services().pool();
    pool.preparedQuery("UPDATE payments SET cancel_requested = true WHERE id IN ($1::uuid, $2::uuid)")
        .execute(io.vertx.sqlclient.Tuple.of(early.id(), late.id())).await();
    pool.preparedQuery("UPDATE payments SET status = 'external_pending', steps = steps || "
            + "'[{\"event\": \"ExternalPaymentSucceeded\"}]'::jsonb WHERE id = $1::uuid")
        .execute(io.vertx.sqlclient.Tuple.of(late.id())).await();
    PaymentRecordActivitiesImpl records = new PaymentRecordActivitiesImpl(store, ledger, SagaSettings.DEFAULTS);

    assertThat(records.load(early.id()).cancelRequested()).isTrue();
    assertThat(records.load(late.id()).cancelRequested()).isFalse();
  }

  /**
   * update-balance publishes the payer's balances whether or not the same activities loaded the payment first (they
   * keep the payer from the load, and read the row when they did not see it).
   */
  @Test
  void theCompletionCarriesThePayersBalancesWithOrWithoutAnEarlierLoad() {
    Payment p = pay(250);
    PaymentRecordActivitiesImpl loaded = new PaymentRecordActivitiesImpl(store, ledger, SagaSettings.DEFAULTS);
    loaded.load(p.id());
    loaded.publishUpdated(p.id(), PaymentStatus.COMPLETED);
    new PaymentRecordActivitiesImpl(store, ledger, SagaSettings.DEFAULTS).publishUpdated(p.id(),
        PaymentStatus.COMPLETED);

    List<JsonObject> balances = LEDGER_NODE.get().services().pool().preparedQuery("SELECT payload FROM events_outbox "
            + "WHERE aggregate_id = $1 AND event_type = 'transaction.updated' ORDER BY aggregate_seq DESC LIMIT 2")
        .execute(io.vertx.sqlclient.Tuple.of(PaymentStore.AGGREGATE_PREFIX + p.id())).await().stream()
        .map(r -> ((JsonObject) r.getJson("payload")).getJsonObject("balances")).toList();
    assertThat(balances).hasSize(2).allSatisfy(b -> {
      assertThat(b.getString("account_id")).isEqualTo(payer.toString());
      assertThat(b.getString("debits_posted")).isEqualTo("250");
      assertThat(b.getString("debits_pending")).isEqualTo("0");
    });
  }
}
