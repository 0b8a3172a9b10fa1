package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.providers.PaymentProvider;
import dev.ledgerline.providers.ProviderRejectedException;
import dev.ledgerline.providers.ProviderUnavailableException;
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
        (paymentId, reference, outcomeKnown) -> {
          settling.calls.add("record " + paymentId + " " + reference);
          return Future.succeededFuture();
        });

    ProviderTransfer t = recording.createTransfer(REQUEST);

    assertThat(settling.calls).containsExactly("authorize", "create", "record pay-1 tr-1", "get tr-1");
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
  void cancelCancelsWhatCanBeCancelledAndReportsWhatNeedsARefund() {
    activities.cancelTransfer("plaid", "pay-1", null);
    assertThat(provider.calls).as("no reference: nothing known to cancel").isEmpty();

    activities.cancelTransfer("plaid", "pay-1", "tr-1");
    assertThat(provider.calls).containsExactly("get tr-1", "cancel tr-1");

    provider.calls.clear();
    provider.current = ScriptedProvider.transfer("cancelled", false);
    activities.cancelTransfer("plaid", "pay-1", "tr-1");
    assertThat(provider.calls).as("already cancelled: done").containsExactly("get tr-1");

    provider.current = ScriptedProvider.transfer("settled", false);
    assertThatThrownBy(() -> activities.cancelTransfer("plaid", "pay-1", "tr-1"))
        .isInstanceOfSatisfying(ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderActivitiesImpl.NEEDS_REFUND));
  }

  @Test
  void aSettledTransferSucceeds() {
    provider.current = ScriptedProvider.transfer("settled", false);

    assertThat(activities.getTransfer("plaid", "pay-1", "tr-1").outcome())
        .isEqualTo(ProviderTransfer.Outcome.SUCCEEDED);
  }
}
