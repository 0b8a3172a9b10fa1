package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The saga's ledger activities against the real embedded ledger: every step run twice moves the money once, a void
 * releases a hold, a posted transfer is reversed and never voided, and the reversal restores the balances.
 */
class LedgerSagaActivitiesTest {
  @RegisterExtension
  static final NodeExtension LEDGER_NODE = NodeExtension.node().roles("ledger").build();

  private static final int LEDGER = 7;
  private static final int CODE = 1;
  private static final long FUNDED = 1_000;

  private LedgerClient ledger;
  private LedgerSagaActivitiesImpl activities;
  private UInt128 payer;

  @BeforeEach
  void setUp() {
    ledger = new LedgerClient(LEDGER_NODE.get().vertx(), Duration.ofSeconds(30));
    activities = new LedgerSagaActivitiesImpl(ledger);
    // A payer who may not spend more than it holds, funded with 1,000 from an outside account.
    UInt128 source = randomId();
    payer = randomId();
    assertThat(ledger.createAccounts(List.of(Account.of(source, LEDGER, CODE, AccountFlags.NONE),
        Account.of(payer, LEDGER, CODE, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS))).await()).isEmpty();
    assertThat(ledger.createTransfers(List.of(Transfer.of(randomId(), source, payer, UInt128.of(FUNDED), LEDGER, CODE,
        TransferFlags.NONE))).await()).isEmpty();
  }

  private static UInt128 randomId() {
    return UInt128.of(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE), 0x5A6A);
  }

  private PaymentLegs legs(long amount) {
    return new PaymentLegs(UUID.randomUUID().toString(), payer.toString(), Long.toString(amount), LEDGER, CODE,
        "plaid", 3600);
  }

  private Account account(UInt128 id) {
    return ledger.lookupAccounts(List.of(id)).await().get(0);
  }

  /** credits_posted - debits_posted - debits_pending: what the account may still spend. */
  private long available(UInt128 id) {
    Account a = account(id);
    return a.creditsPosted().lo() - a.debitsPosted().lo() - a.debitsPending().lo();
  }

  /** The payer paid {@code amount} once: posted, nothing left pending. */
  private void assertPayerPaidOnce(long amount) {
    Account p = account(payer);
    assertThat(p.debitsPending()).isEqualTo(UInt128.ZERO);
    assertThat(p.debitsPosted()).isEqualTo(UInt128.of(amount));
    assertThat(available(payer)).isEqualTo(FUNDED - amount);
  }

  private static UInt128 clearing() {
    return PaymentLedgerIds.clearingAccount(LEDGER);
  }

  private static UInt128 provider() {
    return PaymentLedgerIds.providerAccount(LEDGER, "plaid");
  }

  @Test
  void everyStepRunTwiceMovesTheMoneyOnce() {
    long clearingBefore = account(clearing()).creditsPosted().lo();
    long providerBefore = account(provider()).creditsPosted().lo();
    PaymentLegs legs = legs(250);

    activities.reserveFunds(legs);
    activities.reserveFunds(legs);
    assertThat(account(payer).debitsPending()).isEqualTo(UInt128.of(250));
    activities.createPending(legs);
    activities.createPending(legs);
    activities.commitTransfer(legs);
    activities.commitTransfer(legs);

    assertPayerPaidOnce(250);
    assertThat(account(provider()).creditsPosted().lo() - providerBefore).isEqualTo(250);
    assertThat(account(clearing()).creditsPosted().lo() - clearingBefore).isEqualTo(250);
    List<Transfer> written = ledger.lookupTransfers(List.of(
        PaymentLedgerIds.transfer(legs.paymentId(), PaymentLedgerIds.RESERVE),
        PaymentLedgerIds.transfer(legs.paymentId(), PaymentLedgerIds.PENDING),
        PaymentLedgerIds.transfer(legs.paymentId(), PaymentLedgerIds.COMMIT_RESERVE),
        PaymentLedgerIds.transfer(legs.paymentId(), PaymentLedgerIds.COMMIT_PENDING))).await();
    assertThat(written).hasSize(4).extracting(Transfer::userData128)
        .containsOnly(PaymentLedgerIds.paymentTag(legs.paymentId()));
    assertThat(written.get(0).timeout()).isEqualTo(3600);
  }

  @Test
  void aRunReDrivenUnderAnotherHoldTimeoutFindsItsHoldsAndMovesTheMoneyOnce() {
    PaymentLegs before = legs(250);
    activities.reserveFunds(before);
    activities.createPending(before);
    // The node restarted with payments.hold-timeout changed: the re-driven run builds its holds with 600 s.
    PaymentLegs after = new PaymentLegs(before.paymentId(), before.fromAccountId(), before.amount(), LEDGER, CODE,
        "plaid", 600);

    activities.reserveFunds(after);
    activities.createPending(after);
    activities.commitTransfer(after);

    assertPayerPaidOnce(250);
    // The holds keep the timeout they were made with.
    assertThat(ledger.lookupTransfers(List.of(PaymentLedgerIds.transfer(before.paymentId(), PaymentLedgerIds.RESERVE)))
        .await().get(0).timeout()).isEqualTo(3600);
  }

  @Test
  void aHoldThatDiffersInMoreThanItsTimeoutIsStillRefused() {
    PaymentLegs legs = legs(250);
    activities.reserveFunds(legs);
    // Another amount under the same payment id: a different hold, not the one an earlier run made.
    PaymentLegs other = new PaymentLegs(legs.paymentId(), legs.fromAccountId(), "251", LEDGER, CODE, "plaid", 600);

    assertThatThrownBy(() -> activities.reserveFunds(other)).isInstanceOf(ApplicationFailure.class)
        .hasMessageContaining("exists_with_different_amount");
    assertThat(account(payer).debitsPending()).isEqualTo(UInt128.of(250));
  }

  @Test
  void theReversalPostsTheAmountsBackOnceAndAPostedHoldIsNeverVoided() {
    long providerBefore = available(provider());
    long clearingBefore = available(clearing());
    PaymentLegs legs = legs(250);
    activities.reserveFunds(legs);
    activities.createPending(legs);
    activities.commitTransfer(legs);

    assertThat(activities.reverseCommit(legs)).isTrue();
    assertThat(activities.reverseCommit(legs)).isTrue();

    assertThat(available(payer)).isEqualTo(FUNDED);
    assertThat(available(provider())).isEqualTo(providerBefore);
    assertThat(available(clearing())).isEqualTo(clearingBefore);
    List<Transfer> reversal = ledger.lookupTransfers(List.of(
        PaymentLedgerIds.transfer(legs.paymentId(), PaymentLedgerIds.REVERSE_PROVIDER),
        PaymentLedgerIds.transfer(legs.paymentId(), PaymentLedgerIds.REVERSE_PAYER))).await();
    assertThat(reversal).extracting(Transfer::debitAccountId).containsExactly(provider(), clearing());
    assertThat(reversal).extracting(Transfer::creditAccountId).containsExactly(clearing(), payer);
    assertThat(reversal.get(0).hasFlag(TransferFlags.LINKED)).isTrue();

    // A void of a posted hold is refused by the ledger and reported, never counted as done.
    assertThatThrownBy(() -> activities.voidReserve(legs)).isInstanceOfSatisfying(ApplicationFailure.class,
        f -> assertThat(f.getType()).isEqualTo(SagaFailures.ALREADY_POSTED));
    assertThat(available(payer)).isEqualTo(FUNDED);
  }

  @Test
  void voidsReleaseTheHoldsOnceAndTheCommitThenRefuses() {
    PaymentLegs legs = legs(250);
    activities.reserveFunds(legs);
    activities.createPending(legs);
    assertThat(available(payer)).isEqualTo(FUNDED - 250);

    activities.voidPending(legs);
    activities.voidPending(legs);
    activities.voidReserve(legs);
    activities.voidReserve(legs);

    assertThat(available(payer)).isEqualTo(FUNDED);
    assertThat(account(payer).debitsPending()).isEqualTo(UInt128.ZERO);
    assertThatThrownBy(() -> activities.commitTransfer(legs)).isInstanceOfSatisfying(ApplicationFailure.class,
        f -> assertThat(f.getType()).isEqualTo(SagaFailures.LEDGER_REFUSED));
    assertThat(activities.reverseCommit(legs)).as("nothing was posted, nothing to reverse").isFalse();
    assertThat(available(payer)).isEqualTo(FUNDED);
  }

  @Test
  void compensationsOfStepsThatNeverRanAreDone() {
    PaymentLegs legs = legs(250);

    activities.voidPending(legs);
    activities.voidReserve(legs);
    assertThat(activities.reverseCommit(legs)).isFalse();

    assertThat(available(payer)).isEqualTo(FUNDED);
  }

  @Test
  void insufficientFundsIsAnAnswerNotARetry() {
    PaymentLegs legs = legs(FUNDED + 1);

    assertThatThrownBy(() -> activities.reserveFunds(legs)).isInstanceOfSatisfying(ApplicationFailure.class,
        f -> {
          assertThat(f.getType()).isEqualTo(SagaFailures.INSUFFICIENT_FUNDS);
          assertThat(f.isNonRetryable()).isTrue();
        });
    // The ledger keeps the refusal under the id: a re-driven run is refused too, and nothing moves.
    assertThatThrownBy(() -> activities.reserveFunds(legs)).isInstanceOfSatisfying(ApplicationFailure.class,
        f -> assertThat(f.getType()).isEqualTo(SagaFailures.LEDGER_REFUSED));
    assertThat(available(payer)).isEqualTo(FUNDED);
  }
}
