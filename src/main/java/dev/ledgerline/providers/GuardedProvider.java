package dev.ledgerline.providers;

import io.vertx.core.Future;
import java.math.BigDecimal;
import java.util.List;

/** A {@link PaymentProvider} whose every call goes through the provider's {@link ProviderBreaker}. */
public final class GuardedProvider implements PaymentProvider {
  private final PaymentProvider provider;
  private final ProviderBreaker breaker;

  public GuardedProvider(PaymentProvider provider, ProviderBreaker breaker) {
    this.provider = provider;
    this.breaker = breaker;
  }

  public ProviderBreaker breaker() {
    return breaker;
  }

  @Override
  public String name() {
    return provider.name();
  }

  @Override
  public Future<LinkedItem> exchangePublicToken(String publicToken) {
    return breaker.call("exchange_public_token", () -> provider.exchangePublicToken(publicToken));
  }

  @Override
  public Future<Accounts> accounts(String accessToken) {
    return breaker.call("accounts", () -> provider.accounts(accessToken));
  }

  @Override
  public Future<Accounts> balances(String accessToken) {
    return breaker.call("balances", () -> provider.balances(accessToken));
  }

  @Override
  public Future<TransferAuthorization> authorizeTransfer(TransferRequest request) {
    return breaker.call("authorize_transfer", () -> provider.authorizeTransfer(request));
  }

  @Override
  public Future<Transfer> createTransfer(String accessToken, String accountId, String authorizationId,
      String description, String idempotencyKey) {
    return breaker.call("create_transfer",
        () -> provider.createTransfer(accessToken, accountId, authorizationId, description, idempotencyKey));
  }

  @Override
  public Future<Void> cancelTransfer(String transferId) {
    return breaker.call("cancel_transfer", () -> provider.cancelTransfer(transferId));
  }

  @Override
  public Future<Refund> refundTransfer(String transferId, BigDecimal amount, String idempotencyKey) {
    return breaker.call("refund_transfer", () -> provider.refundTransfer(transferId, amount, idempotencyKey));
  }

  @Override
  public Future<Void> cancelAuthorization(String authorizationId) {
    return breaker.call("cancel_authorization", () -> provider.cancelAuthorization(authorizationId));
  }

  @Override
  public Future<Transfer> transfer(String transferId) {
    return breaker.call("get_transfer", () -> provider.transfer(transferId));
  }

  @Override
  public Future<TransferEvents> transferEvents(long afterId, int count) {
    return breaker.call("transfer_events", () -> provider.transferEvents(afterId, count));
  }

  @Override
  public Future<Institutions> institutions(int count, int offset, List<String> countryCodes) {
    return breaker.call("institutions", () -> provider.institutions(count, offset, countryCodes));
  }
}
