package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.providers.PaymentProvider;
import dev.ledgerline.providers.ProviderRejectedException;
import dev.ledgerline.providers.ProviderUnavailableException;
import dev.ledgerline.providers.UnknownLinkedAccountException;
import dev.ledgerline.transactions.saga.ProviderActivitiesImpl.LinkedAccount;
import io.temporal.failure.ApplicationFailure;
import io.vertx.core.Future;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The external step over a scripted provider: what it sends, and how each answer reaches the saga. */
class ProviderActivitiesTest {
  private final ScriptedProvider provider = new ScriptedProvider();
  private final ProviderActivitiesImpl activities = new ProviderActivitiesImpl(provider,
      id -> Future.succeededFuture(new LinkedAccount("access-sandbox-1", "acc-" + id, "Alice Example")), 2);

  private static final ProviderTransferRequest REQUEST =
      new ProviderTransferRequest("pay-1", "plaid", "link-1", "250", "rent");

  /** Only the transfer calls are scripted; the saga uses nothing else. */
  static class ScriptedProvider implements PaymentProvider {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile TransferRequest authorized;
    volatile String createKey;
    volatile String description;
    volatile String decision = "approved";
    volatile RuntimeException failure;
    volatile Transfer current = transfer("pending", true);
    /** Whether a transfer was made of the authorization, so that it can no longer be cancelled. */
    volatile boolean authorizationUsed;
    volatile RuntimeException cancelFailure;
    volatile RuntimeException createFailure;
    volatile RuntimeException refundFailure;
    volatile String refundStatus = "pending";

    static Transfer transfer(String status, boolean cancellable) {
      return new Transfer("tr-1", "auth-1", "acc-link-1", "debit", new BigDecimal("2.50"), status, cancellable,
          Instant.EPOCH, null);
    }

    @Override
    public String name() {
      return "plaid";
    }

    @Override
    public Future<TransferAuthorization> authorizeTransfer(TransferRequest request) {
      calls.add("authorize");
      authorized = request;
      if (failure != null) return Future.failedFuture(failure);
      return Future.succeededFuture(new TransferAuthorization("auth-1", decision,
          "approved".equals(decision) ? null : "NSF", null, Instant.EPOCH));
    }

    @Override
    public Future<Transfer> createTransfer(String accessToken, String accountId, String authorizationId,
        String description, String idempotencyKey) {
      calls.add("create");
      if (createFailure != null) return Future.failedFuture(createFailure);
      createKey = idempotencyKey;
      this.description = description;
      return Future.succeededFuture(current);
    }

    @Override
    public Future<Void> cancelTransfer(String transferId) {
      calls.add("cancel " + transferId);
      return Future.succeededFuture();
    }

    @Override
    public Future<Refund> refundTransfer(String transferId, BigDecimal amount, String idempotencyKey) {
      calls.add("refund " + transferId + " " + amount + " " + idempotencyKey);
      return refundFailure != null ? Future.failedFuture(refundFailure)
          : Future.succeededFuture(new Refund("rf-1", transferId, amount, refundStatus, null));
    }

    @Override
    public Future<Void> cancelAuthorization(String authorizationId) {
      calls.add("cancel " + authorizationId);
      if (cancelFailure != null) return Future.failedFuture(cancelFailure);
      return authorizationUsed ? Future.failedFuture(new ProviderRejectedException("plaid", "TRANSFER_ERROR",
          "TRANSFER_AUTHORIZATION_NOT_CANCELLABLE", "used", 400, "")) : Future.succeededFuture();
    }

    @Override
    public Future<Transfer> transfer(String transferId) {
      calls.add("get " + transferId);
      return Future.succeededFuture(current);
    }

    @Override
    public Future<LinkedItem> exchangePublicToken(String publicToken) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<Accounts> accounts(String accessToken) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<Accounts> balances(String accessToken) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<TransferEvents> transferEvents(long afterId, int count) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Future<Institutions> institutions(int count, int offset, List<String> countryCodes) {
      throw new UnsupportedOperationException();
    }
  }

  /** The provider takes 1 to 15 characters of description: a longer payment description is cut, none is "payment". */
  @Test
  void theProviderGetsAtMostFifteenCharactersOfDescription() {
    activities.createTransfer(new ProviderTransferRequest("pay-1", "plaid", "link-1", "250",
        "quarterly rent for the flat"));
    assertThat(provider.description).isEqualTo("quarterly rent");
    activities.createTransfer(new ProviderTransferRequest("pay-2", "plaid", "link-1", "250", null));
    assertThat(provider.description).isEqualTo("payment");
    activities.createTransfer(new ProviderTransferRequest("pay-3", "plaid", "link-1", "250",
        "\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6"
            + "\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6\uD83D\uDCB6"));
    assertThat(provider.description).hasSize(14).isEqualTo("\uD83D\uDCB6".repeat(7));
  }

  @Test
  void aPaymentIsAuthorizedThenCreatedWithThePaymentIdAsIdempotencyKey() {
    ProviderTransfer t = activities.createTransfer(REQUEST);

    assertThat(provider.calls).containsExactly("authorize", "create", "get tr-1");
    assertThat(provider.authorized.idempotencyKey()).isEqualTo("pay-1");
    assertThat(provider.authorized.amount()).isEqualByComparingTo("2.50");
    assertThat(provider.authorized.accountId()).isEqualTo("acc-link-1");
    assertThat(provider.createKey).isEqualTo("pay-1");
    assertThat(t).isEqualTo(new ProviderTransfer("tr-1", "pending", ProviderTransfer.Outcome.PENDING, null));
  }

  /**
   * A settlement that came before the reference was recorded (so the webhook found no payment), or a provider that
   * settles at once: the create reads the transfer once its reference is recorded and answers what it finds.
   */
  @Test
  void theCreateAnswersTheStatusReadOnceItsReferenceIsRecorded() {
    ScriptedProvider settling = new ScriptedProvider() {
      @Override
      public Future<Transfer> createTransfer(String accessToken, String accountId, String authorizationId,
          String description, String idempotencyKey) {
        Future<Transfer> created = super.createTransfer(accessToken, accountId, authorizationId, description,
            idempotencyKey);
        // Settled right after the create answered "pending".
        current = transfer("settled", false);
        return created;
      }
    };
    ProviderActivitiesImpl recording = new ProviderActivitiesImpl(settling,
        id -> Future.succeededFuture(new LinkedAccount("access-sandbox-1", "acc-" + id, "Alice Example")), 2,
        new Records(settling.calls, new ProviderActivitiesImpl.Recorded(null, null)));

    ProviderTransfer t = recording.createTransfer(REQUEST);

    assertThat(settling.calls).containsExactly("authorize", "sending pay-1 auth-1", "create", "record pay-1 tr-1",
        "get tr-1");
    assertThat(t).isEqualTo(new ProviderTransfer("tr-1", "settled", ProviderTransfer.Outcome.SUCCEEDED, null));
  }

  /** The read is best effort: when it fails, the create answers its own status and the saga's poll follows. */
  @Test
  void aFailedReadAfterTheCreateAnswersTheCreatesStatus() {
    ScriptedProvider unreadable = new ScriptedProvider() {
      @Override
      public Future<Transfer> transfer(String transferId) {
        calls.add("get " + transferId);
        return Future.failedFuture(new ProviderUnavailableException("plaid", "API_ERROR", "INTERNAL_SERVER_ERROR",
            "down", 500, "", Duration.ZERO, false));
      }
    };
    ProviderActivitiesImpl activities = new ProviderActivitiesImpl(unreadable,
        id -> Future.succeededFuture(new LinkedAccount("access-sandbox-1", "acc-" + id, "Alice Example")), 2);

    assertThat(activities.createTransfer(REQUEST))
        .isEqualTo(new ProviderTransfer("tr-1", "pending", ProviderTransfer.Outcome.PENDING, null));
    assertThat(unreadable.calls).containsExactly("authorize", "create", "get tr-1");
  }

  /** A create that already answers a final status needs no second look. */
  @Test
  void aCreateThatAnswersSettledIsNotReadAgain() {
    provider.current = ScriptedProvider.transfer("settled", false);

    assertThat(activities.createTransfer(REQUEST).outcome()).isEqualTo(ProviderTransfer.Outcome.SUCCEEDED);
    assertThat(provider.calls).containsExactly("authorize", "create");
  }

  @Test
  void aDeclinedAuthorizationIsADeclineAndNothingIsCreated() {
    provider.decision = "declined";

    assertThatThrownBy(() -> activities.createTransfer(REQUEST)).isInstanceOfSatisfying(ApplicationFailure.class,
        f -> {
          assertThat(f.getType()).isEqualTo(SagaFailures.PROVIDER_DECLINED);
          assertThat(f.isNonRetryable()).isTrue();
          assertThat(f.getOriginalMessage()).contains("NSF");
        });
    assertThat(provider.calls).containsExactly("authorize");
  }

  @Test
  void anUnhealthyProviderIsRetriedAndARefusalIsNot() {
    provider.failure = new ProviderUnavailableException("plaid", "API_ERROR", "BREAKER_OPEN", "open", 0, "",
        Duration.ofSeconds(60), true);
    assertThatThrownBy(() -> activities.createTransfer(REQUEST)).isInstanceOf(ProviderUnavailableException.class);

    provider.failure = new ProviderRejectedException("plaid", "TRANSFER_ERROR", "TRANSFER_ACCOUNT_BLOCKED",
        "blocked", 400, "");
    assertThatThrownBy(() -> activities.createTransfer(REQUEST)).isInstanceOfSatisfying(ApplicationFailure.class,
        f -> assertThat(f.getType()).isEqualTo(SagaFailures.PROVIDER_DECLINED));
  }

  @Test
  void cancelCancelsWhatCanBeCancelledAndRefundsWhatHasMovedMoney() {
    activities.cancelTransfer("plaid", "pay-1", null);
    assertThat(provider.calls).as("no reference: nothing known to cancel").isEmpty();

    activities.cancelTransfer("plaid", "pay-1", "tr-1");
    assertThat(provider.calls).containsExactly("get tr-1", "cancel tr-1");

    provider.calls.clear();
    provider.current = ScriptedProvider.transfer("cancelled", false);
    activities.cancelTransfer("plaid", "pay-1", "tr-1");
    assertThat(provider.calls).as("already cancelled: done").containsExactly("get tr-1");

    provider.calls.clear();
    provider.current = ScriptedProvider.transfer("settled", false);
    activities.cancelTransfer("plaid", "pay-1", "tr-1");
    assertThat(provider.calls).as("settled: refunded whole, under the payment's refund key")
        .containsExactly("get tr-1", "refund tr-1 2.50 pay-1-refund");

    provider.refundStatus = "failed";
    assertThatThrownBy(() -> activities.cancelTransfer("plaid", "pay-1", "tr-1"))
        .as("a refund that failed needs a person")
        .isInstanceOfSatisfying(ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderActivitiesImpl.NEEDS_REFUND));
    provider.refundStatus = "pending";
    provider.refundFailure = new ProviderRejectedException("plaid", "TRANSFER_ERROR", "TRANSFER_NOT_REFUNDABLE",
        "no funds", 400, "");
    assertThatThrownBy(() -> activities.cancelTransfer("plaid", "pay-1", "tr-1"))
        .as("a refund refused is final: an operator decides")
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> assertThat(f.isNonRetryable()).isTrue());
  }

  /**
   * A transfer sent to the network between the read and the cancel: the cancel is refused. Not settled yet, it is not
   * refunded (a return could still take the money back after the refund paid it out): the compensation retries; once
   * it has settled, it is refunded.
   */
  @Test
  void aCancelRefusedByARaceWithTheNetworkRefundsOnceSettled() {
    ScriptedProvider racing = new ScriptedProvider() {
      @Override
      public Future<Void> cancelTransfer(String transferId) {
        calls.add("cancel " + transferId);
        current = transfer("posted", false);
        return Future.failedFuture(new ProviderRejectedException("plaid", "TRANSFER_ERROR",
            "TRANSFER_NOT_CANCELLABLE", "sent", 400, ""));
      }
    };
    ProviderActivitiesImpl activities = new ProviderActivitiesImpl(racing,
        id -> Future.failedFuture(new IllegalStateException("unused")), 2);

    assertThatThrownBy(() -> activities.cancelTransfer("plaid", "pay-1", "tr-1"))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> {
          assertThat(f.getType()).isEqualTo(ProviderActivitiesImpl.NOT_SETTLED);
          assertThat(f.isNonRetryable()).isFalse();
        });
    assertThat(racing.calls).containsExactly("get tr-1", "cancel tr-1", "get tr-1");

    racing.calls.clear();
    racing.current = ScriptedProvider.transfer("settled", false);
    activities.cancelTransfer("plaid", "pay-1", "tr-1");
    assertThat(racing.calls).containsExactly("get tr-1", "refund tr-1 2.50 pay-1-refund");
  }

  /** References over a list of calls: writes are listed, and {@code recorded} is what the row holds already. */
  record Records(List<String> calls, ProviderActivitiesImpl.Recorded recorded)
      implements ProviderActivitiesImpl.References {
    @Override
    public Future<Void> record(String paymentId, String reference, boolean outcomeKnown) {
      calls.add("record " + paymentId + " " + reference);
      return Future.succeededFuture();
    }

    @Override
    public Future<Boolean> sending(String paymentId, String authorizationId) {
      calls.add("sending " + paymentId + " " + authorizationId);
      return Future.succeededFuture(recorded.authorizationId() == null
          || recorded.authorizationId().equals(authorizationId));
    }

    @Override
    public Future<ProviderActivitiesImpl.Recorded> fence(String paymentId) {
      return Future.succeededFuture(recorded);
    }
  }

  private ProviderActivitiesImpl recording(String reference, String authorization) {
    return new ProviderActivitiesImpl(provider,
        id -> id.equals("gone") ? Future.failedFuture(new UnknownLinkedAccountException("no linked account " + id))
            : Future.succeededFuture(new LinkedAccount("access-sandbox-1", "acc-" + id, "Alice Example")), 2,
        new Records(provider.calls, new ProviderActivitiesImpl.Recorded(reference, authorization)));
  }

  /**
   * The authorization is recorded before the create is sent, so an unanswered create can be looked for; a payment
   * that holds another one (here: fenced by its compensation) gets no create at all. An unknown link is final.
   */
  @Test
  void theAuthorizationIsRecordedBeforeTheCreateIsSent() {
    recording(null, null).createTransfer(REQUEST);
    assertThat(provider.calls).startsWith("authorize", "sending pay-1 auth-1", "create");

    provider.calls.clear();
    assertThatThrownBy(() -> recording(null, ProviderActivitiesImpl.NO_CREATE).createTransfer(REQUEST))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> {
          assertThat(f.getType()).isEqualTo(ProviderActivitiesImpl.CREATE_FENCED);
          assertThat(f.isNonRetryable()).isTrue();
        });
    assertThat(provider.calls).containsExactly("authorize", "sending pay-1 auth-1");

    assertThatThrownBy(() -> recording(null, null)
        .createTransfer(new ProviderTransferRequest("pay-1", "plaid", "gone", "250", "rent")))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> assertThat(f.isNonRetryable()).isTrue());
  }

  /**
   * A create whose answer never came: nothing recorded means nothing was sent; an unused authorization is cancelled,
   * so a create still on its way fails; a used one gives its transfer (one per authorization), which is recorded and
   * cancelled; a recorded reference is cancelled directly. Nothing here makes a transfer that did not exist.
   */
  @Test
  void anUnansweredCreateIsFoundFromWhatTheRowRecorded() {
    recording(null, null).cancelUnanswered(REQUEST);
    assertThat(provider.calls).as("no authorization recorded: no create was sent").isEmpty();

    recording(null, "auth-1").cancelUnanswered(REQUEST);
    assertThat(provider.calls).as("unused: the authorization is cancelled").containsExactly("cancel auth-1");

    provider.calls.clear();
    provider.authorizationUsed = true;
    recording(null, "auth-1").cancelUnanswered(REQUEST);
    assertThat(provider.calls).as("used: the create answers its transfer, which is cancelled")
        .containsExactly("cancel auth-1", "create", "record pay-1 tr-1", "get tr-1", "cancel tr-1");
    assertThat(provider.createKey).isEqualTo("pay-1");

    provider.calls.clear();
    recording("tr-1", "auth-1").cancelUnanswered(REQUEST);
    assertThat(provider.calls).as("recorded: cancelled by its reference").containsExactly("get tr-1", "cancel tr-1");

    provider.calls.clear();
    provider.current = ScriptedProvider.transfer("settled", false);
    recording(null, "auth-1").cancelUnanswered(REQUEST);
    assertThat(provider.calls).as("a transfer that moved money is refunded")
        .containsExactly("cancel auth-1", "create", "record pay-1 tr-1", "get tr-1", "refund tr-1 2.50 pay-1-refund");
  }

  /**
   * An authorization that cannot be cancelled and whose transfer cannot be read (the link gone, the create refused):
   * an operator must look. An unhealthy provider is retried.
   */
  @Test
  void anUnansweredCreateThatCannotBeLookedUpWaitsForAnOperatorAndAnOutageIsRetried() {
    provider.authorizationUsed = true;
    assertThatThrownBy(() -> recording(null, "auth-1")
        .cancelUnanswered(new ProviderTransferRequest("pay-1", "plaid", "gone", "250", "rent")))
        .isInstanceOfSatisfying(ApplicationFailure.class, f -> {
          assertThat(f.getType()).isEqualTo(ProviderActivitiesImpl.TRANSFER_UNKNOWN);
          assertThat(f.isNonRetryable()).isTrue();
        });

    provider.createFailure = new ProviderRejectedException("plaid", "ITEM_ERROR", "ITEM_LOGIN_REQUIRED", "revoked",
        400, "");
    assertThatThrownBy(() -> recording(null, "auth-1").cancelUnanswered(REQUEST))
        .as("used or expired, and unreadable")
        .isInstanceOfSatisfying(ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderActivitiesImpl.TRANSFER_UNKNOWN));
    provider.createFailure = null;

    provider.cancelFailure = new ProviderUnavailableException("plaid", "API_ERROR", "INTERNAL_SERVER_ERROR", "down",
        500, "", Duration.ZERO, false);
    assertThatThrownBy(() -> recording(null, "auth-1").cancelUnanswered(REQUEST))
        .isInstanceOf(ProviderUnavailableException.class);
  }

  @Test
  void aSettledTransferSucceeds() {
    provider.current = ScriptedProvider.transfer("settled", false);

    assertThat(activities.getTransfer("plaid", "pay-1", "tr-1").outcome())
        .isEqualTo(ProviderTransfer.Outcome.SUCCEEDED);
  }
}
