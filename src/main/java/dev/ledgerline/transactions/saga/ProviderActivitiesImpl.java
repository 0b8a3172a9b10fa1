package dev.ledgerline.transactions.saga;

import dev.ledgerline.providers.PaymentProvider;
import dev.ledgerline.providers.PaymentProvider.TransferAuthorization;
import dev.ledgerline.providers.PaymentProvider.TransferRequest;
import dev.ledgerline.providers.ProviderException;
import dev.ledgerline.providers.ProviderUnavailableException;
import dev.ledgerline.providers.UnknownLinkedAccountException;
import io.temporal.failure.ApplicationFailure;
import io.vertx.core.Future;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Set;

/**
 * The external step over the provider layer (its breaker included): authorize, then create the transfer, both with
 * idempotency key = the payment id, so a retried activity finds the authorization and the transfer already made.
 * An unhealthy provider ({@link ProviderUnavailableException}: breaker open, 5xx, timeouts) is thrown as it comes and
 * retried by the workflow until the external deadline; a declined authorization or any other refusal is a
 * non-retryable {@link SagaFailures#PROVIDER_DECLINED}.
 */
public final class ProviderActivitiesImpl implements ProviderActivities {
  /**
   * cancel-external found a transfer that can no longer be cancelled and has moved money, and its refund was refused
   * or failed: a person must return the money.
   */
  public static final String NEEDS_REFUND = "ProviderTransferNeedsRefund";
  private static final Set<String> REFUND_FAILED = Set.of("cancelled", "failed", "returned");
  /** What {@link References#fence} leaves in a payment's authorization when none was recorded: no create, ever. */
  public static final String NO_CREATE = "no-create";
  /** A create attempt found its payment fenced by the compensation: it sent nothing. */
  public static final String CREATE_FENCED = "ProviderCreateFenced";
  /** The transfer was sent to the network and has not settled: it is refunded once it has. */
  public static final String NOT_SETTLED = "ProviderTransferNotSettled";
  /** cancel-external-unanswered cannot tell whether the payment's authorization made a transfer, or cannot read it. */
  public static final String TRANSFER_UNKNOWN = "ProviderTransferUnknown";
  /**
   * Plaid's transfer description (what the payer's bank statement shows) is 1 to 15 characters; a payment's own
   * description may be longer (it stays whole on the payment), so the provider gets its first 15 characters.
   */
  static final int PROVIDER_DESCRIPTION = 15;

  /** The bank account behind a payment's {@code linked_account_id}: a vault-held access token and Plaid's ids. */
  public record LinkedAccount(String accessToken, String accountId, String legalName) {
    @Override
    public String toString() {
      return "LinkedAccount[accountId=" + accountId + "]";
    }
  }

  /** Finds a linked account (from the vault); fails when there is none. */
  @FunctionalInterface
  public interface LinkedAccounts {
    Future<LinkedAccount> find(String linkedAccountId);
  }

  /** Where each payment's dealings with the provider are recorded (the payment's row). */
  public interface References {
    /**
     * Records which provider transfer a payment made, so that the provider's webhooks can be matched to it;
     * {@code outcomeKnown}: the saga gets the transfer's final status with this answer, so no webhook need signal it.
     */
    Future<Void> record(String paymentId, String reference, boolean outcomeKnown);

    /**
     * Records the authorization a create is about to be sent for, before every create: true when it is the payment's
     * (now or already); false when the payment was fenced ({@link #fence}) or holds another one, and no create may be
     * sent.
     */
    Future<Boolean> sending(String paymentId, String authorizationId);

    /**
     * What is recorded for the payment, after making sure that no create can be sent for it any more unless its
     * authorization was recorded already: a create attempt still running (a cancel does not stop it) then sends none.
     */
    Future<Recorded> fence(String paymentId);
  }

  /**
   * A payment's recorded provider transfer and authorization, each null when none is: no authorization means that no
   * create was ever sent for the payment.
   */
  public record Recorded(String reference, String authorizationId) {}

  private final PaymentProvider provider;
  private final LinkedAccounts accounts;
  private final int amountScale;
  private final References references;

  /**
   * @param amountScale decimal places of the ledger's amounts in the provider's currency unit: 2 means the ledger
   *     counts cents and 250 is sent as 2.50
   */
  public ProviderActivitiesImpl(PaymentProvider provider, LinkedAccounts accounts, int amountScale) {
    this(provider, accounts, amountScale, null);
  }

  /** @param references where a created transfer's reference is recorded; null records nothing */
  public ProviderActivitiesImpl(PaymentProvider provider, LinkedAccounts accounts, int amountScale,
      References references) {
    this.provider = provider;
    this.accounts = accounts;
    this.amountScale = amountScale;
    this.references = references;
  }

  @Override
  public ProviderTransfer createTransfer(ProviderTransferRequest r) {
    LinkedAccount account;
    try {
      account = call(accounts.find(r.linkedAccountId()));
    } catch (UnknownLinkedAccountException e) {
      // No such link: no retry can make one.
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), SagaFailures.PROVIDER_DECLINED);
    }
    BigDecimal amount = new BigDecimal(new BigInteger(r.amount()), amountScale);
    TransferAuthorization auth = call(provider.authorizeTransfer(new TransferRequest(account.accessToken(),
        account.accountId(), "debit", "ach", amount, "ppd", account.legalName(), r.paymentId())));
    if (!auth.approved()) {
      throw ApplicationFailure.newNonRetryableFailure("authorization declined: " + auth.rationaleCode()
          + (auth.rationaleDescription() == null ? "" : " (" + auth.rationaleDescription() + ")"),
          SagaFailures.PROVIDER_DECLINED);
    }
    // Recorded before the create is sent: a payment with no recorded authorization never sent one, and once the
    // compensation has fenced the payment, no attempt still running sends one.
    if (references != null && !references.sending(r.paymentId(), auth.id()).await()) {
      throw ApplicationFailure.newNonRetryableFailure("payment " + r.paymentId() + " takes no create: its "
          + "compensation has begun, or it holds another authorization", CREATE_FENCED);
    }
    ProviderTransfer created = create(account, auth.id(), r);
    // Before the settlement webhook can come: it names only the transfer. A failure retries the (idempotent) create.
    boolean pending = created.outcome() == ProviderTransfer.Outcome.PENDING;
    if (references != null) references.record(r.paymentId(), created.reference(), !pending).await();
    return pending ? latest(created) : created;
  }

  /**
   * The transfer's status once its reference is recorded. A settlement that came before the recording found no
   * payment to signal (the webhook names only the transfer), and a provider that settles at once has settled by now:
   * either way the saga learns it from this answer instead of waiting for its first poll. Best effort: a failed read
   * answers the create's own status, and the poll follows.
   */
  private ProviderTransfer latest(ProviderTransfer created) {
    try {
      return transfer(provider.transfer(created.reference()).await());
    } catch (RuntimeException e) {
      return created;
    }
  }

  @Override
  public ProviderTransfer getTransfer(String providerName, String paymentId, String reference) {
    return transfer(call(provider.transfer(reference)));
  }

  @Override
  public void cancelTransfer(String providerName, String paymentId, String reference) {
    // No reference: a run from before cancel-external-unanswered, which this answers as it did then.
    if (reference == null) return;
    PaymentProvider.Transfer t = call(provider.transfer(reference));
    ProviderTransfer.Outcome outcome = ProviderTransfer.Outcome.ofPlaid(t.status());
    if (outcome == ProviderTransfer.Outcome.FAILED) return;
    if (t.cancellable()) {
      try {
        call(provider.cancelTransfer(reference));
        return;
      } catch (ApplicationFailure refused) {
        // Sent to the network between the read and the cancel: read again.
        t = call(provider.transfer(reference));
        outcome = ProviderTransfer.Outcome.ofPlaid(t.status());
        if (outcome == ProviderTransfer.Outcome.FAILED) return;
        if (t.cancellable()) throw refused;
      }
    }
    if (outcome != ProviderTransfer.Outcome.SUCCEEDED) {
      // Sent, not yet collected: a refund now would pay out money that a return could still take back. Retried (until
      // the compensation's retry limit, then an operator) until it settles or fails.
      throw ApplicationFailure.newFailure("transfer " + reference + " is " + t.status() + ": it is refunded once it "
          + "has settled", NOT_SETTLED);
    }
    // It has moved money: a refund of the whole amount returns it, made once per payment.
    PaymentProvider.Refund refund = call(provider.refundTransfer(reference, t.amount(), refundKey(paymentId)));
    if (REFUND_FAILED.contains(refund.status())) {
      throw ApplicationFailure.newNonRetryableFailure("refund " + refund.id() + " of transfer " + reference + " is "
          + refund.status() + (refund.failureReason() == null ? "" : " (" + refund.failureReason() + ")"),
          NEEDS_REFUND);
    }
  }

  /** The provider's idempotency key of a payment's refund (Plaid allows 50 characters; a payment id is 36). */
  static String refundKey(String paymentId) {
    return paymentId + "-refund";
  }

  @Override
  public void cancelUnanswered(ProviderTransferRequest r) {
    if (references == null) throw new IllegalStateException("cancel-external-unanswered needs the payments' records");
    Recorded recorded = references.fence(r.paymentId()).await();
    if (recorded.reference() != null) {
      cancelTransfer(r.provider(), r.paymentId(), recorded.reference());
      return;
    }
    String authorization = recorded.authorizationId();
    // Nothing recorded: no create was ever sent, and now none will be, so there is no transfer.
    if (authorization == null) return;
    try {
      provider.cancelAuthorization(authorization).await();
      // It was unused, and now no create can use it, not even one still on its way.
      return;
    } catch (ProviderUnavailableException e) {
      throw e;
    } catch (ProviderException usedOrExpired) {
      // Used by a transfer, or expired: a create of it answers the transfer made of it (one per authorization).
    }
    LinkedAccount account;
    try {
      account = call(accounts.find(r.linkedAccountId()));
    } catch (UnknownLinkedAccountException e) {
      throw ApplicationFailure.newNonRetryableFailure("authorization " + authorization + " may have a transfer, but "
          + "its link " + r.linkedAccountId() + " is gone, so it cannot be looked up", TRANSFER_UNKNOWN);
    }
    ProviderTransfer t;
    try {
      t = create(account, authorization, r);
    } catch (ApplicationFailure refused) {
      // Used but unreadable (the link's token revoked), or expired unused: only a person can tell them apart.
      throw ApplicationFailure.newNonRetryableFailure("authorization " + authorization + " could not be cancelled, "
          + "and its transfer cannot be looked up: " + refused.getOriginalMessage(), TRANSFER_UNKNOWN);
    }
    references.record(r.paymentId(), t.reference(), true).await();
    cancelTransfer(r.provider(), r.paymentId(), t.reference());
  }

  /** The authorization's transfer under idempotency key = the payment id: one, however often it is asked for. */
  private ProviderTransfer create(LinkedAccount account, String authorizationId, ProviderTransferRequest r) {
    return transfer(call(provider.createTransfer(account.accessToken(), account.accountId(), authorizationId,
        statementText(r.description()), r.paymentId())));
  }

  static String statementText(String description) {
    String d = description == null ? "" : description.strip();
    if (d.isEmpty()) return "payment";
    if (d.length() <= PROVIDER_DESCRIPTION) return d;
    // Counted in UTF-16 units, as the provider counts them; a cut never splits a surrogate pair.
    int end = Character.isHighSurrogate(d.charAt(PROVIDER_DESCRIPTION - 1)) ? PROVIDER_DESCRIPTION - 1
        : PROVIDER_DESCRIPTION;
    return d.substring(0, end).strip();
  }

  private static ProviderTransfer transfer(PaymentProvider.Transfer t) {
    return new ProviderTransfer(t.id(), t.status(), ProviderTransfer.Outcome.ofPlaid(t.status()), t.failureReason());
  }

  /** Waits on the activity's own thread; a refusal by the provider is final, an unhealthy provider is retried. */
  private static <T> T call(Future<T> f) {
    try {
      return f.await();
    } catch (ProviderUnavailableException e) {
      throw e;
    } catch (ProviderException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), SagaFailures.PROVIDER_DECLINED);
    }
  }
}
