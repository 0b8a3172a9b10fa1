package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.providers.PaymentProvider.Transfer;
import dev.ledgerline.providers.PaymentProvider.TransferAuthorization;
import dev.ledgerline.providers.PaymentProvider.TransferRequest;
import dev.ledgerline.providers.PlaidClient;
import dev.ledgerline.providers.ProviderRejectedException;
import dev.ledgerline.providers.sandbox.PlaidSandbox;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import dev.ledgerline.testing.Futures;
import dev.ledgerline.transactions.saga.ProviderActivitiesImpl.LinkedAccount;
import dev.ledgerline.transactions.saga.ProviderActivitiesImpl.Recorded;
import io.temporal.failure.ApplicationFailure;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The external step's compensation against the real sandbox, for a create whose answer never reached the saga (a
 * timeout, a cancel while it ran, a restart). The lost attempt is played here by calling the provider directly after
 * recording its authorization, as the activity does before every create. The sandbox settles after an hour, so
 * whatever the lost create made is still cancellable.
 */
class UnansweredCreateSandboxTest {
  private static Vertx vertx;
  private static PlaidClient plaid;
  private static String token;
  private static String account;

  /** The payments' rows, in memory: what each payment recorded. */
  private final Map<String, Recorded> rows = new ConcurrentHashMap<>();
  private final ProviderActivitiesImpl.References references = new ProviderActivitiesImpl.References() {
    @Override
    public Future<Void> record(String paymentId, String reference, boolean outcomeKnown) {
      rows.merge(paymentId, new Recorded(reference, null), (a, b) -> new Recorded(reference, a.authorizationId()));
      return Future.succeededFuture();
    }

    @Override
    public Future<Boolean> sending(String paymentId, String authorizationId) {
      Recorded r = rows.computeIfAbsent(paymentId, id -> new Recorded(null, authorizationId));
      return Future.succeededFuture(authorizationId.equals(r.authorizationId()));
    }

    @Override
    public Future<Recorded> fence(String paymentId) {
      Recorded r = rows.computeIfAbsent(paymentId, id -> new Recorded(null, ProviderActivitiesImpl.NO_CREATE));
      return Future.succeededFuture(ProviderActivitiesImpl.NO_CREATE.equals(r.authorizationId())
          ? new Recorded(r.reference(), null) : r);
    }
  };

  @BeforeAll
  static void sandbox() throws Throwable {
    vertx = Vertx.vertx();
    PlaidSandbox sandbox = PlaidSandbox.start(vertx, new SandboxSettings("127.0.0.1", 0, "id", "secret-value",
        Duration.ofHours(1), "")).await();
    plaid = new PlaidClient(WebClient.create(vertx), sandbox.baseUrl(), "id", "secret-value", Duration.ofSeconds(5));
    token = Futures.await(plaid.sandboxPublicToken("ins_109508", List.of("transfer"))
        .compose(plaid::exchangePublicToken)).accessToken();
    account = Futures.await(plaid.accounts(token)).accounts().get(0).accountId();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  private ProviderActivitiesImpl activities() {
    return new ProviderActivitiesImpl(plaid,
        id -> Future.succeededFuture(new LinkedAccount(token, account, "Ada Lovelace")), 2, references);
  }

  private static ProviderTransferRequest request(String paymentId) {
    return new ProviderTransferRequest(paymentId, "plaid", "link-1", "150", "rent");
  }

  /** The authorization the activity records and then sends a create for. */
  private TransferAuthorization authorized(String paymentId) throws Throwable {
    TransferAuthorization auth = Futures.await(plaid.authorizeTransfer(new TransferRequest(token, account, "debit",
        "ach", new BigDecimal("1.50"), "ppd", "Ada Lovelace", paymentId)));
    references.sending(paymentId, auth.id()).await();
    return auth;
  }

  private static Transfer create(TransferAuthorization auth, String paymentId) throws Throwable {
    return Futures.await(plaid.createTransfer(token, account, auth.id(), "rent", paymentId));
  }

  /** The create was made and its answer lost: the compensation finds that very transfer and cancels it. */
  @Test
  void aCreateThatWasMadeIsFoundAndCancelled() throws Throwable {
    TransferAuthorization auth = authorized("lost-made");
    Transfer made = create(auth, "lost-made");

    activities().cancelUnanswered(request("lost-made"));

    assertThat(rows.get("lost-made").reference()).isEqualTo(made.id());
    assertThat(Futures.await(plaid.transfer(made.id())).status()).isEqualTo("cancelled");
  }

  /**
   * The create is still on its way (or never arrived): the authorization is cancelled unused, so the create, when it
   * lands, is refused; there is no transfer, and the compensation made none.
   */
  @Test
  void aCreateStillOnItsWayIsRefusedWhenItLands() throws Throwable {
    TransferAuthorization auth = authorized("lost-late");

    activities().cancelUnanswered(request("lost-late"));

    Throwable late = Futures.failureOf(plaid.createTransfer(token, account, auth.id(), "rent", "lost-late"));
    assertThat(late).isInstanceOfSatisfying(ProviderRejectedException.class,
        e -> assertThat(e.errorCode()).isEqualTo("TRANSFER_AUTHORIZATION_CANCELLED"));
    assertThat(rows.get("lost-late").reference()).isNull();
  }

  /**
   * A payment that recorded no authorization never sent a create. The compensation fences it, so an attempt still
   * running (a cancel does not stop it) sends none afterwards: its authorization stays unused.
   */
  @Test
  void aPaymentThatSentNoCreateIsFencedAgainstAnAttemptStillRunning() throws Throwable {
    activities().cancelUnanswered(request("never-sent"));

    assertThatThrownBy(() -> activities().createTransfer(request("never-sent")))
        .isInstanceOfSatisfying(ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderActivitiesImpl.CREATE_FENCED));
    // The late attempt's authorization (the same for the payment's key) was never used: it can still be cancelled.
    TransferAuthorization auth = Futures.await(plaid.authorizeTransfer(new TransferRequest(token, account, "debit",
        "ach", new BigDecimal("1.50"), "ppd", "Ada Lovelace", "never-sent")));
    Futures.await(plaid.cancelAuthorization(auth.id()));
  }
}
