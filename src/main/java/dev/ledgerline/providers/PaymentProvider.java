package dev.ledgerline.providers;

import io.vertx.core.Future;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * What Ledgerline asks of a payment provider: link a user's bank (exchange a public token), read accounts and balances,
 * move money (authorize, create, cancel and read a transfer) and list institutions. Every call is asynchronous and
 * never blocks an event loop. Failures are {@link ProviderException}s: {@link ProviderUnavailableException} when the
 * provider is unhealthy (the only kind a breaker counts), {@link InvalidProviderTokenException} and
 * {@link ProviderRejectedException} when it answered and refused.
 *
 * <p>Access tokens are passed in and never kept: the caller holds them (in the vault).
 */
public interface PaymentProvider {

  /** The provider's name in metrics, health and events, e.g. {@code plaid}. */
  String name();

  /** Exchanges a Link {@code public_token} for a long-lived access token and the item it belongs to. */
  Future<LinkedItem> exchangePublicToken(String publicToken);

  /** The item's accounts with their cached balances ({@code /accounts/get}). */
  Future<Accounts> accounts(String accessToken);

  /** The item's accounts with balances fetched from the bank now ({@code /accounts/balance/get}). */
  Future<Accounts> balances(String accessToken);

  /**
   * Asks whether a transfer may go ahead. A declined authorization is an answer, not a failure:
   * {@link TransferAuthorization#approved()} is false and {@link TransferAuthorization#rationaleCode()} says why.
   * {@code request.idempotencyKey()} (the payment id) makes a retry return the same authorization.
   */
  Future<TransferAuthorization> authorizeTransfer(TransferRequest request);

  /**
   * Creates the transfer an approved authorization allows; {@code idempotencyKey} is the payment id, so a retried
   * create returns the transfer already made instead of moving the money twice.
   */
  Future<Transfer> createTransfer(String accessToken, String accountId, String authorizationId, String description,
      String idempotencyKey);

  /** Cancels a transfer that is still cancellable; a transfer past that point is a {@link ProviderRejectedException}. */
  Future<Void> cancelTransfer(String transferId);

  /**
   * Cancels an approved authorization that no transfer was created from, so that none can be created from it any
   * more ({@code /transfer/authorization/cancel}); one already used (or expired) is a
   * {@link ProviderRejectedException}.
   */
  Future<Void> cancelAuthorization(String authorizationId);

  /**
   * Refunds {@code amount} of a debit transfer that has moved money and can no longer be cancelled
   * ({@code /transfer/refund/create}); {@code idempotencyKey} makes a retry return the refund already made. A transfer
   * that cannot be refunded, or a refund beyond what is left of it, is a {@link ProviderRejectedException}.
   */
  Future<Refund> refundTransfer(String transferId, BigDecimal amount, String idempotencyKey);

  Future<Transfer> transfer(String transferId);

  /**
   * Transfer events after {@code afterId} in order, at most {@code count} ({@code /transfer/event/sync}): what a
   * {@code TRANSFER_EVENTS_UPDATE} webhook says is waiting. The caller keeps the last id it has processed.
   */
  Future<TransferEvents> transferEvents(long afterId, int count);

  /** One page of the institutions the provider supports. */
  Future<Institutions> institutions(int count, int offset, List<String> countryCodes);

  /** A linked item: the access token (a secret: never log it) and the item's id. */
  record LinkedItem(String accessToken, String itemId) {
    @Override
    public String toString() {
      return "LinkedItem[itemId=" + itemId + "]";
    }
  }

  /** An item's accounts and the institution it is at. */
  record Accounts(String itemId, String institutionId, List<Account> accounts) {}

  /**
   * One account: {@code mask} is the last digits of its number; {@code type} and {@code subtype} are Plaid's
   * ({@code depository}/{@code checking}, {@code credit}/{@code credit card}, ...).
   */
  record Account(String accountId, String name, String officialName, String mask, String type, String subtype,
      Balances balances) {}

  /** Balances as the bank reports them; {@code available} and {@code limit} may be null. */
  record Balances(BigDecimal available, BigDecimal current, BigDecimal limit, String isoCurrencyCode) {}

  /**
   * A proposed transfer. {@code type} is {@code debit} (pull from the user's account) or {@code credit};
   * {@code network} {@code ach}, {@code same-day-ach} or {@code rtp}; {@code amount} has two decimals.
   */
  record TransferRequest(String accessToken, String accountId, String type, String network, BigDecimal amount,
      String achClass, String legalName, String idempotencyKey) {
    @Override
    public String toString() {
      return "TransferRequest[accountId=" + accountId + ", type=" + type + ", network=" + network + ", amount="
          + amount + ", idempotencyKey=" + idempotencyKey + "]";
    }
  }

  /** A refund of a transfer: {@code pending}, {@code posted}, {@code settled}, or {@code cancelled}, {@code failed}. */
  record Refund(String id, String transferId, BigDecimal amount, String status, String failureReason) {}

  /** The provider's decision on a proposed transfer: {@code approved} or {@code declined} (with its rationale). */
  record TransferAuthorization(String id, String decision, String rationaleCode, String rationaleDescription,
      Instant created) {
    public boolean approved() {
      return "approved".equals(decision);
    }
  }

  /**
   * A transfer as the provider sees it. {@code status}: {@code pending}, {@code posted}, {@code settled},
   * {@code cancelled}, {@code failed} or {@code returned}.
   */
  record Transfer(String id, String authorizationId, String accountId, String type, BigDecimal amount,
      String status, boolean cancellable, Instant created, String failureReason) {}

  /** One change of a transfer: {@code eventType} is its new status ({@code pending}, {@code settled}, ...). */
  record TransferEvent(long eventId, Instant timestamp, String eventType, String transferId, String accountId,
      String transferType, BigDecimal amount) {}

  record TransferEvents(List<TransferEvent> events, boolean hasMore) {}

  record Institution(String institutionId, String name, List<String> products, List<String> countryCodes) {}

  record Institutions(List<Institution> institutions, int total) {}
}
