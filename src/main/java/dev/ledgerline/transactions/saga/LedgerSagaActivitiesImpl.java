package dev.ledgerline.transactions.saga;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Results;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import io.temporal.failure.ApplicationFailure;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ledger steps over {@link LedgerClient}. Activities run on Temporal's threads, never on a Vert.x thread, so they
 * wait for the ledger's answer; the client's own deadline bounds the wait. Ledger failures (overloaded, timeout with
 * outcome unknown, unreachable, not the leader) are thrown as they come and retried with the same ids, which is safe:
 * a write that did land answers {@code exists}.
 */
public final class LedgerSagaActivitiesImpl implements LedgerSagaActivities {
  private final LedgerClient ledger;
  /** (ledger, provider) pairs whose system accounts exist; creating them again would only answer {@code exists}. */
  private final Set<String> systemAccounts = ConcurrentHashMap.newKeySet();

  public LedgerSagaActivitiesImpl(LedgerClient ledger) {
    this.ledger = ledger;
  }

  @Override
  public void reserveFunds(PaymentLegs legs) {
    ensureSystemAccounts(legs.ledger(), legs.provider());
    Transfer hold = pending(legs, PaymentLedgerIds.RESERVE, payer(legs), clearing(legs));
    CreateTransferResult r = holdResult(hold, createOne(hold));
    if (done(r)) return;
    if (r == CreateTransferResult.EXCEEDS_CREDITS) {
      throw ApplicationFailure.newNonRetryableFailure("the payer's balance does not cover " + legs.amount(),
          SagaFailures.INSUFFICIENT_FUNDS);
    }
    // id_already_failed: an earlier attempt of this very step was refused, and the id keeps that answer for good.
    throw refused(PaymentLedgerIds.RESERVE, r);
  }

  @Override
  public void createPending(PaymentLegs legs) {
    Transfer hold = pending(legs, PaymentLedgerIds.PENDING, clearing(legs), provider(legs));
    CreateTransferResult r = holdResult(hold, createOne(hold));
    if (!done(r)) throw refused(PaymentLedgerIds.PENDING, r);
  }

  @Override
  public void commitTransfer(PaymentLegs legs) {
    List<Transfer> chain = List.of(
        post(legs, PaymentLedgerIds.COMMIT_RESERVE, PaymentLedgerIds.RESERVE, payer(legs), clearing(legs),
            TransferFlags.LINKED),
        post(legs, PaymentLedgerIds.COMMIT_PENDING, PaymentLedgerIds.PENDING, clearing(legs), provider(legs), 0));
    CreateTransferResult[] results = create(chain);
    if (chainDone(chain, results)) return;
    // Expired or voided holds, or anything else: neither transfer was posted, and retrying cannot change that.
    throw ApplicationFailure.newNonRetryableFailure("commit refused: " + Arrays.toString(results),
        SagaFailures.LEDGER_REFUSED);
  }

  @Override
  public void voidReserve(PaymentLegs legs) {
    voidOne(legs, PaymentLedgerIds.VOID_RESERVE, PaymentLedgerIds.RESERVE, payer(legs), clearing(legs));
  }

  @Override
  public void voidPending(PaymentLegs legs) {
    voidOne(legs, PaymentLedgerIds.VOID_PENDING, PaymentLedgerIds.PENDING, clearing(legs), provider(legs));
  }

  @Override
  public boolean reverseCommit(PaymentLegs legs) {
    List<Transfer> commits = ledger.lookupTransfers(List.of(
        PaymentLedgerIds.transfer(legs.paymentId(), PaymentLedgerIds.COMMIT_RESERVE),
        PaymentLedgerIds.transfer(legs.paymentId(), PaymentLedgerIds.COMMIT_PENDING))).await();
    // The commit is one linked chain: both posts exist or neither does. Neither: the holds are voided instead.
    if (commits.isEmpty()) return false;
    List<Transfer> chain = List.of(
        single(legs, PaymentLedgerIds.REVERSE_PROVIDER, provider(legs), clearing(legs), TransferFlags.LINKED),
        single(legs, PaymentLedgerIds.REVERSE_PAYER, clearing(legs), payer(legs), 0));
    CreateTransferResult[] results = create(chain);
    if (chainDone(chain, results)) return true;
    throw ApplicationFailure.newNonRetryableFailure("reversal refused: " + Arrays.toString(results),
        SagaFailures.LEDGER_REFUSED);
  }

  private void voidOne(PaymentLegs legs, String step, String pendingStep, UInt128 debit, UInt128 credit) {
    Transfer t = new Transfer(id(legs, step), debit, credit, amount(legs), id(legs, pendingStep), tag(legs), 0, 0, 0,
        legs.ledger(), legs.code(), TransferFlags.VOID_PENDING_TRANSFER, 0);
    CreateTransferResult r = createOne(t);
    switch (r) {
      // Done, by this void, an earlier one, the hold's own timeout, or because the hold was never created (a step
      // whose outcome was unknown is compensated too); then the void's id keeps not_found as id_already_failed.
      case OK, EXISTS, PENDING_TRANSFER_ALREADY_VOIDED, PENDING_TRANSFER_EXPIRED, PENDING_TRANSFER_NOT_FOUND,
          ID_ALREADY_FAILED -> {
        return;
      }
      case PENDING_TRANSFER_ALREADY_POSTED -> throw ApplicationFailure.newNonRetryableFailure(
          step + ": the pending transfer is posted, only a reversal can undo it", SagaFailures.ALREADY_POSTED);
      default -> throw refused(step, r);
    }
  }

  private void ensureSystemAccounts(int ledgerId, String provider) {
    String key = ledgerId + "/" + provider;
    if (systemAccounts.contains(key)) return;
    List<Account> accounts = List.of(
        Account.of(PaymentLedgerIds.clearingAccount(ledgerId), ledgerId, PaymentLedgerIds.CLEARING_CODE,
            AccountFlags.NONE),
        Account.of(PaymentLedgerIds.providerAccount(ledgerId, provider), ledgerId, PaymentLedgerIds.PROVIDER_CODE,
            AccountFlags.NONE));
    CreateAccountResult[] results = Results.expandAccounts(ledger.createAccounts(accounts).await(), accounts.size());
    for (CreateAccountResult r : results) {
      if (r != CreateAccountResult.OK && r != CreateAccountResult.EXISTS) {
        throw ApplicationFailure.newNonRetryableFailure("system accounts of ledger " + ledgerId + " and provider "
            + provider + ": " + Arrays.toString(results), SagaFailures.LEDGER_REFUSED);
      }
    }
    systemAccounts.add(key);
  }

  private CreateTransferResult createOne(Transfer t) {
    return create(List.of(t))[0];
  }

  private CreateTransferResult[] create(List<Transfer> transfers) {
    return Results.expandTransfers(ledger.createTransfers(transfers).await(), transfers.size());
  }

  /**
   * Whether a linked chain is written. A chain written before answers {@code exists} for its first transfer only:
   * within a chain, {@code exists} fails the chain and the rest read {@code linked_event_failed}. The chain was
   * written atomically, so it is done exactly when all of its ids are found.
   */
  private boolean chainDone(List<Transfer> chain, CreateTransferResult[] results) {
    if (Arrays.stream(results).allMatch(LedgerSagaActivitiesImpl::done)) return true;
    boolean onlyExisting =
        Arrays.stream(results).allMatch(r -> done(r) || r == CreateTransferResult.LINKED_EVENT_FAILED);
    return onlyExisting && ledger.lookupTransfers(chain.stream().map(Transfer::id).toList()).await().size()
        == chain.size();
  }

  /**
   * A hold's answer, where {@code exists_with_different_timeout} is looked into. A payment re-driven after a restart
   * that changed {@code payments.hold-timeout} builds its holds with the new timeout, and the ledger answers that,
   * although the hold an earlier run made is there (it keeps its own timeout): taken for a refusal, it failed a
   * payment whose money may already have moved. So the same hold is sent again with the stored hold's timeout, and
   * the ledger compares the rest by its own rules: {@code exists}, or the first field that differs. (The id exists,
   * so nothing is created.)
   */
  private CreateTransferResult holdResult(Transfer hold, CreateTransferResult r) {
    if (r != CreateTransferResult.EXISTS_WITH_DIFFERENT_TIMEOUT) return r;
    List<Transfer> found = ledger.lookupTransfers(List.of(hold.id())).await();
    if (found.size() != 1) return r;
    return createOne(new Transfer(hold.id(), hold.debitAccountId(), hold.creditAccountId(), hold.amount(),
        hold.pendingId(), hold.userData128(), hold.userData64(), hold.userData32(), found.get(0).timeout(),
        hold.ledger(), hold.code(), hold.flags(), 0));
  }

  private static boolean done(CreateTransferResult r) {
    return r == CreateTransferResult.OK || r == CreateTransferResult.EXISTS;
  }

  private static ApplicationFailure refused(String step, CreateTransferResult r) {
    return ApplicationFailure.newNonRetryableFailure(step + ": " + r, SagaFailures.LEDGER_REFUSED);
  }

  private static Transfer pending(PaymentLegs legs, String step, UInt128 debit, UInt128 credit) {
    return new Transfer(id(legs, step), debit, credit, amount(legs), UInt128.ZERO, tag(legs), 0, 0,
        (int) legs.holdTimeoutSeconds(), legs.ledger(), legs.code(), TransferFlags.PENDING, 0);
  }

  private static Transfer post(PaymentLegs legs, String step, String pendingStep, UInt128 debit, UInt128 credit,
      int flags) {
    return new Transfer(id(legs, step), debit, credit, amount(legs), id(legs, pendingStep), tag(legs), 0, 0, 0,
        legs.ledger(), legs.code(), TransferFlags.POST_PENDING_TRANSFER | flags, 0);
  }

  private static Transfer single(PaymentLegs legs, String step, UInt128 debit, UInt128 credit, int flags) {
    return new Transfer(id(legs, step), debit, credit, amount(legs), UInt128.ZERO, tag(legs), 0, 0, 0, legs.ledger(),
        legs.code(), flags, 0);
  }

  private static UInt128 id(PaymentLegs legs, String step) {
    return PaymentLedgerIds.transfer(legs.paymentId(), step);
  }

  private static UInt128 tag(PaymentLegs legs) {
    return PaymentLedgerIds.paymentTag(legs.paymentId());
  }

  private static UInt128 amount(PaymentLegs legs) {
    return UInt128.parse(legs.amount());
  }

  private static UInt128 payer(PaymentLegs legs) {
    return UInt128.parse(legs.fromAccountId());
  }

  private static UInt128 clearing(PaymentLegs legs) {
    return PaymentLedgerIds.clearingAccount(legs.ledger());
  }

  private static UInt128 provider(PaymentLegs legs) {
    return PaymentLedgerIds.providerAccount(legs.ledger(), legs.provider());
  }
}
