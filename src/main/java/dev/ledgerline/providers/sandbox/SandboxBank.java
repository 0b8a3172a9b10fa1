package dev.ledgerline.providers.sandbox;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The sandbox's in-memory bank: institutions, items with their accounts and balances, authorizations and transfers,
 * and the idempotency keys seen. Each method takes a request body (credentials already checked) and returns Plaid's
 * response body, or throws {@link SandboxError} with Plaid's error object. Requests are validated field by field, so
 * no input makes it fail with anything else.
 */
final class SandboxBank {
  private static final Pattern AMOUNT = Pattern.compile("^[0-9]{1,12}\\.[0-9]{2}$");
  private static final int MAX_IDEMPOTENCY_KEY = 50;
  private static final int MAX_DESCRIPTION = 15;
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final List<JsonObject> INSTITUTIONS = List.of(
      institution("ins_109508", "First Platypus Bank"),
      institution("ins_109509", "First Gingham Credit Union"),
      institution("ins_109510", "Tattersall Federal Credit Union"),
      institution("ins_109511", "Tartan Bank"),
      institution("ins_109512", "Houndstooth Bank"));

  private record Item(String itemId, String institutionId, List<JsonObject> accounts) {}

  private final Map<String, String> publicTokens = new ConcurrentHashMap<>();
  private final Map<String, Item> items = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> authorizations = new ConcurrentHashMap<>();
  private final Map<String, String> authorizationItems = new ConcurrentHashMap<>();
  private final Map<String, String> authorizationKeys = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> transfers = new ConcurrentHashMap<>();
  private final Map<String, String> transferByAuthorization = new ConcurrentHashMap<>();
  /** The slot of a cancelled authorization in {@link #transferByAuthorization}: no transfer id is empty. */
  private static final String CANCELLED = "";
  /** Statuses of a transfer or a refund that moved no money in the end. */
  private static final List<String> UNDONE = List.of("cancelled", "failed", "returned");
  private final Map<String, String> transferKeys = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> refunds = new ConcurrentHashMap<>();
  private final Map<String, String> refundKeys = new ConcurrentHashMap<>();
  /** Transfer events in order; an event's id is its position plus one, as Plaid's ids only grow. */
  private final List<JsonObject> events = new ArrayList<>();

  JsonObject linkTokenCreate(JsonObject b) {
    requiredString(b, "client_name");
    requiredString(b, "language");
    requiredStrings(b, "country_codes");
    JsonObject user = requiredObject(b, "user");
    requiredString(user, "client_user_id");
    return new JsonObject().put("link_token", "link-sandbox-" + uuid())
        .put("expiration", Instant.now().plus(4, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString());
  }

  JsonObject sandboxPublicTokenCreate(JsonObject b) {
    String institutionId = requiredString(b, "institution_id");
    requiredStrings(b, "initial_products");
    if (INSTITUTIONS.stream().noneMatch(i -> i.getString("institution_id").equals(institutionId))) {
      throw SandboxError.invalidInput("INVALID_INSTITUTION", "invalid institution_id provided");
    }
    String token = "public-sandbox-" + uuid();
    publicTokens.put(token, institutionId);
    return new JsonObject().put("public_token", token);
  }

  JsonObject publicTokenExchange(JsonObject b) {
    String token = requiredString(b, "public_token");
    String institutionId = publicTokens.remove(token);
    if (institutionId == null) {
      throw SandboxError.invalidInput("INVALID_PUBLIC_TOKEN", "provided public token is in an invalid format, expired"
          + " or already exchanged");
    }
    String accessToken = "access-sandbox-" + uuid();
    String itemId = randomId(37);
    List<JsonObject> accounts = List.of(
        account("Plaid Checking", "Plaid Gold Standard 0% Interest Checking", "0000", "depository", "checking",
            "100", "110", null),
        account("Plaid Saving", "Plaid Silver Standard 0.1% Interest Saving", "1111", "depository", "savings", "200",
            "210", null),
        account("Plaid Credit Card", "Plaid Diamond 12.5% APR Interest Credit Card", "3333", "credit", "credit card",
            null, "410", "2000"));
    items.put(accessToken, new Item(itemId, institutionId, accounts));
    return new JsonObject().put("access_token", accessToken).put("item_id", itemId);
  }

  JsonObject accountsGet(JsonObject b) {
    Item item = item(b);
    JsonObject options = optionalObject(b, "options");
    List<String> only = options == null || options.getValue("account_ids") == null ? null
        : requiredStrings(options, "account_ids");
    JsonArray accounts = new JsonArray();
    synchronized (item) {
      for (JsonObject a : item.accounts()) {
        if (only == null || only.contains(a.getString("account_id"))) {
          accounts.add(a.copy());
        }
      }
    }
    if (only != null && accounts.size() != only.size()) {
      throw SandboxError.invalidInput("INVALID_ACCOUNT_ID", "one or more of the account IDs is invalid");
    }
    return new JsonObject().put("accounts", accounts).put("item", new JsonObject().put("item_id", item.itemId())
        .put("institution_id", item.institutionId()).put("webhook", (Object) null).put("error", (Object) null)
        .put("available_products", new JsonArray()).put("billed_products", new JsonArray().add("transfer"))
        .put("consent_expiration_time", (Object) null).put("update_type", "background"));
  }

  /** {@code decline}: the fault says to decline whatever the balance. */
  JsonObject transferAuthorizationCreate(JsonObject b, String declineCode) {
    Item item = item(b);
    String accountId = requiredString(b, "account_id");
    String type = oneOf(b, "type", List.of("debit", "credit"));
    String network = oneOf(b, "network", List.of("ach", "same-day-ach", "rtp"));
    BigDecimal amount = amount(b);
    String achClass = network.equals("rtp") ? optionalString(b, "ach_class")
        : oneOf(b, "ach_class", List.of("ccd", "ppd", "tel", "web"));
    JsonObject user = requiredObject(b, "user");
    requiredString(user, "legal_name");
    String key = idempotencyKey(b);
    if (key != null) {
      String existing = authorizationKeys.get(key);
      if (existing != null) {
        return new JsonObject().put("authorization", authorizations.get(existing).copy());
      }
    }
    JsonObject account = account(item, accountId);
    String decision = "approved";
    JsonObject rationale = null;
    synchronized (item) {
      BigDecimal available = decimal(account.getJsonObject("balances").getValue("available"));
      if (declineCode != null) {
        decision = "declined";
        rationale = new JsonObject().put("code", declineCode).put("description", "Transaction declined (injected"
            + " fault).");
      } else if (type.equals("debit") && (available == null || available.compareTo(amount) < 0)) {
        decision = "declined";
        rationale = new JsonObject().put("code", "NSF")
            .put("description", "Transaction declined because of insufficient funds.");
      }
    }
    String id = uuid();
    JsonObject authorization = new JsonObject().put("id", id).put("created", now()).put("decision", decision)
        .put("decision_rationale", rationale).put("guarantee_decision", (Object) null)
        .put("guarantee_decision_rationale", (Object) null)
        .put("proposed_transfer", new JsonObject().put("ach_class", achClass).put("account_id", accountId)
            .put("type", type).put("user", user.copy()).put("amount", amount.toPlainString()).put("network", network)
            .put("iso_currency_code", "USD"));
    if (key != null) {
      String raced = authorizationKeys.putIfAbsent(key, id);
      if (raced != null) {
        return new JsonObject().put("authorization", authorizations.get(raced).copy());
      }
    }
    authorizations.put(id, authorization);
    authorizationItems.put(id, b.getString("access_token"));
    return new JsonObject().put("authorization", authorization.copy());
  }

  /**
   * Creates the transfer of an approved authorization (one per authorization, and one per idempotency key);
   * {@code onCreated} schedules its settlement. {@code declineCode}: an injected decline.
   */
  JsonObject transferCreate(JsonObject b, String declineCode, Consumer<String> onCreated) {
    Item item = item(b);
    String accountId = requiredString(b, "account_id");
    String authorizationId = requiredString(b, "authorization_id");
    String description = requiredString(b, "description");
    if (description.isEmpty() || description.length() > MAX_DESCRIPTION) {
      throw SandboxError.invalidField("description", "must be 1 to " + MAX_DESCRIPTION + " characters");
    }
    String key = idempotencyKey(b);
    if (key != null && transferKeys.containsKey(key)) {
      JsonObject t = transfers.get(transferKeys.get(key));
      if (!t.getString("authorization_id").equals(authorizationId)) {
        throw SandboxError.invalidField("idempotency_key", "was already used for a transfer of another authorization");
      }
      return new JsonObject().put("transfer", t.copy());
    }
    String existing = transferByAuthorization.get(authorizationId);
    if (existing != null) {
      return usedBy(existing);
    }
    JsonObject authorization = authorizations.get(authorizationId);
    if (authorization == null || !b.getString("access_token").equals(authorizationItems.get(authorizationId))) {
      throw SandboxError.invalidInput("INVALID_AUTHORIZATION_ID", "authorization_id is not a known authorization of"
          + " this item");
    }
    JsonObject proposed = authorization.getJsonObject("proposed_transfer");
    if (!proposed.getString("account_id").equals(accountId)) {
      throw SandboxError.invalidField("account_id", "does not match the authorization's account");
    }
    if (!"approved".equals(authorization.getString("decision"))) {
      throw new SandboxError(400, "TRANSFER_ERROR", "TRANSFER_AUTHORIZATION_DECLINED",
          "the authorization was declined; a transfer cannot be created from it");
    }
    if (declineCode != null) {
      throw new SandboxError(400, "TRANSFER_ERROR", declineCode, "the transfer was declined (injected fault)");
    }
    account(item, accountId);
    String id = uuid();
    JsonObject transfer = new JsonObject().put("id", id).put("authorization_id", authorizationId)
        .put("ach_class", proposed.getValue("ach_class")).put("account_id", accountId)
        .put("funding_account_id", (Object) null).put("type", proposed.getString("type"))
        .put("user", proposed.getJsonObject("user").copy()).put("amount", proposed.getString("amount"))
        .put("description", description).put("created", now()).put("status", "pending")
        .put("network", proposed.getString("network")).put("cancellable", true).put("failure_reason", (Object) null)
        .put("metadata", (Object) null).put("iso_currency_code", "USD").put("refunds", new JsonArray())
        .put("expected_settlement_date", (Object) null).put("guarantee_decision", (Object) null);
    // In transfers before its authorization names it, so a concurrent create that finds the name finds the transfer.
    transfers.put(id, transfer);
    String raced = transferByAuthorization.putIfAbsent(authorizationId, id);
    if (raced != null) {
      transfers.remove(id);
      return usedBy(raced);
    }
    if (key != null) {
      transferKeys.put(key, id);
    }
    event(transfer);
    onCreated.accept(id);
    return new JsonObject().put("transfer", transfer.copy());
  }

  /** The transfer an authorization was used for; a cancelled authorization has none and can have none. */
  private JsonObject usedBy(String transferId) {
    if (transferId.equals(CANCELLED)) {
      throw new SandboxError(400, "TRANSFER_ERROR", "TRANSFER_AUTHORIZATION_CANCELLED",
          "the authorization was cancelled; a transfer cannot be created from it");
    }
    return new JsonObject().put("transfer", transfers.get(transferId).copy());
  }

  /**
   * Cancels an approved authorization that no transfer was created from. Taking its slot in
   * {@code transferByAuthorization} makes the cancel and a concurrent create exclusive: one of them wins.
   */
  JsonObject transferAuthorizationCancel(JsonObject b) {
    String authorizationId = requiredString(b, "authorization_id");
    JsonObject authorization = authorizations.get(authorizationId);
    if (authorization == null) {
      throw SandboxError.invalidInput("INVALID_AUTHORIZATION_ID", "authorization_id is not a known authorization");
    }
    if (!"approved".equals(authorization.getString("decision"))) {
      throw new SandboxError(400, "TRANSFER_ERROR", "TRANSFER_AUTHORIZATION_NOT_CANCELLABLE",
          "only an approved authorization can be cancelled");
    }
    String used = transferByAuthorization.putIfAbsent(authorizationId, CANCELLED);
    if (used != null && !used.equals(CANCELLED)) {
      throw new SandboxError(400, "TRANSFER_ERROR", "TRANSFER_AUTHORIZATION_NOT_CANCELLABLE",
          "a transfer was already created from this authorization");
    }
    return new JsonObject();
  }

  JsonObject transferCancel(JsonObject b) {
    JsonObject t = transfer(requiredString(b, "transfer_id"));
    synchronized (t) {
      if (!t.getBoolean("cancellable")) {
        throw new SandboxError(400, "TRANSFER_ERROR", "TRANSFER_NOT_CANCELLABLE", "transfer is not cancellable");
      }
      t.put("status", "cancelled").put("cancellable", false);
      event(t);
    }
    return new JsonObject();
  }

  /**
   * {@code /transfer/refund/create}: a refund of a debit transfer that has not been cancelled, failed or returned, for
   * at most what is left unrefunded of it; {@code idempotency_key} (required) returns the refund made with that key,
   * and the key with another transfer or amount is refused. {@code onCreated} schedules its settlement.
   */
  JsonObject transferRefundCreate(JsonObject b, Consumer<String> onCreated) {
    JsonObject t = transfer(requiredString(b, "transfer_id"));
    BigDecimal amount = amount(b);
    String key = idempotencyKey(b);
    if (key == null) {
      throw SandboxError.missing("idempotency_key");
    }
    JsonObject refund;
    synchronized (t) {
      String existing = refundKeys.get(key);
      if (existing != null) {
        JsonObject r = refunds.get(existing);
        if (!r.getString("transfer_id").equals(t.getString("id"))
            || new BigDecimal(r.getString("amount")).compareTo(amount) != 0) {
          throw SandboxError.invalidField("idempotency_key", "was already used for another refund");
        }
        return new JsonObject().put("refund", r.copy());
      }
      if (!"debit".equals(t.getString("type"))) {
        throw new SandboxError(400, "TRANSFER_ERROR", "TRANSFER_NOT_REFUNDABLE", "only a debit transfer is refunded");
      }
      if (UNDONE.contains(t.getString("status"))) {
        throw new SandboxError(400, "TRANSFER_ERROR", "TRANSFER_NOT_REFUNDABLE",
            "a " + t.getString("status") + " transfer cannot be refunded");
      }
      BigDecimal refunded = BigDecimal.ZERO;
      for (Object o : t.getJsonArray("refunds")) {
        JsonObject r = (JsonObject) o;
        if (!UNDONE.contains(r.getString("status"))) {
          refunded = refunded.add(new BigDecimal(r.getString("amount")));
        }
      }
      if (refunded.add(amount).compareTo(new BigDecimal(t.getString("amount"))) > 0) {
        throw new SandboxError(400, "TRANSFER_ERROR", "TRANSFER_REFUND_EXCEEDS_AMOUNT",
            "refunds may not exceed the transfer's amount");
      }
      refund = new JsonObject().put("id", uuid()).put("transfer_id", t.getString("id"))
          .put("amount", amount.toPlainString()).put("status", "pending").put("failure_reason", (Object) null)
          .put("ledger_id", (Object) null).put("created", now()).put("network_trace_id", (Object) null);
      refunds.put(refund.getString("id"), refund);
      // Keys are global and the lock is this transfer's: the key is taken atomically.
      if (refundKeys.putIfAbsent(key, refund.getString("id")) != null) {
        refunds.remove(refund.getString("id"));
        throw SandboxError.invalidField("idempotency_key", "was already used for another refund");
      }
      t.getJsonArray("refunds").add(refund);
      refundEvent(t, refund);
    }
    onCreated.accept(refund.getString("id"));
    return new JsonObject().put("refund", refund.copy());
  }

  JsonObject transferRefundGet(JsonObject b) {
    JsonObject r = refunds.get(requiredString(b, "refund_id"));
    if (r == null) {
      throw SandboxError.invalidInput("REFUND_NOT_FOUND", "refund_id is not a known refund");
    }
    synchronized (transfer(r.getString("transfer_id"))) {
      return new JsonObject().put("refund", r.copy());
    }
  }

  /** Settles a pending refund: the amount goes back to the account it was debited from. */
  boolean settleRefund(String refundId) {
    JsonObject r = refunds.get(refundId);
    if (r == null) {
      return false;
    }
    JsonObject t = transfer(r.getString("transfer_id"));
    synchronized (t) {
      if (!"pending".equals(r.getString("status"))) {
        return false;
      }
      r.put("status", "settled");
      refundEvent(t, r);
    }
    move(t, new BigDecimal(r.getString("amount")));
    return true;
  }

  JsonObject transferGet(JsonObject b) {
    JsonObject t = transfer(requiredString(b, "transfer_id"));
    synchronized (t) {
      return new JsonObject().put("transfer", t.copy());
    }
  }

  /** Settles a pending transfer: moves the money on the account; false when it was cancelled meanwhile. */
  boolean settle(String transferId) {
    JsonObject t = transfers.get(transferId);
    if (t == null) {
      return false;
    }
    synchronized (t) {
      if (!"pending".equals(t.getString("status"))) {
        return false;
      }
      t.put("status", "settled").put("cancellable", false);
      event(t);
    }
    BigDecimal amount = new BigDecimal(t.getString("amount"));
    move(t, "debit".equals(t.getString("type")) ? amount.negate() : amount);
    return true;
  }

  /** Moves {@code signed} onto the balances of the account {@code transfer} is on. */
  private void move(JsonObject transfer, BigDecimal signed) {
    String accessToken = authorizationItems.get(transfer.getString("authorization_id"));
    Item item = accessToken == null ? null : items.get(accessToken);
    if (item == null) {
      return;
    }
    synchronized (item) {
      JsonObject balances = account(item, transfer.getString("account_id")).getJsonObject("balances");
      for (String field : List.of("available", "current")) {
        BigDecimal v = decimal(balances.getValue(field));
        if (v != null) {
          balances.put(field, v.add(signed).doubleValue());
        }
      }
    }
  }

  /** {@code /transfer/event/sync}: the events after {@code after_id}, at most {@code count} (default 100). */
  JsonObject transferEventSync(JsonObject b) {
    Object a = b.getValue("after_id");
    if (a == null) {
      throw SandboxError.missing("after_id");
    }
    if (!(a instanceof Integer afterId) || afterId < 0) {
      throw SandboxError.invalidField("after_id", "must be a non-negative integer");
    }
    Object c = b.getValue("count", 100);
    if (!(c instanceof Integer count) || count < 1 || count > 500) {
      throw SandboxError.invalidField("count", "must be an integer from 1 to 500");
    }
    JsonArray page = new JsonArray();
    boolean more;
    synchronized (events) {
      for (int i = afterId; i < events.size() && page.size() < count; i++) {
        page.add(events.get(i).copy());
      }
      more = afterId + page.size() < events.size();
    }
    return new JsonObject().put("transfer_events", page).put("has_more", more);
  }

  /** A refund's event: {@code refund.<status>}, on the refunded transfer, with the refund's id and amount. */
  private void refundEvent(JsonObject transfer, JsonObject refund) {
    event(transfer, "refund." + refund.getString("status"), refund.getString("amount"), refund.getString("id"));
  }

  private void event(JsonObject transfer) {
    event(transfer, transfer.getString("status"), transfer.getString("amount"), null);
  }

  private void event(JsonObject transfer, String type, String amount, String refundId) {
    synchronized (events) {
      events.add(new JsonObject().put("event_id", events.size() + 1).put("timestamp", now())
          .put("event_type", type).put("account_id", transfer.getString("account_id"))
          .put("funding_account_id", (Object) null).put("transfer_id", transfer.getString("id"))
          .put("origination_account_id", (Object) null).put("transfer_type", transfer.getString("type"))
          .put("transfer_amount", amount).put("failure_reason", (Object) null)
          .put("sweep_id", (Object) null).put("sweep_amount", (Object) null).put("refund_id", refundId));
    }
  }

  JsonObject institutionsGet(JsonObject b) {
    Object c = b.getValue("count");
    Object o = b.getValue("offset");
    if (c == null) {
      throw SandboxError.missing("count");
    }
    if (o == null) {
      throw SandboxError.missing("offset");
    }
    if (!(c instanceof Integer count) || count < 1 || count > 500) {
      throw SandboxError.invalidField("count", "must be an integer from 1 to 500");
    }
    if (!(o instanceof Integer offset) || offset < 0) {
      throw SandboxError.invalidField("offset", "must be a non-negative integer");
    }
    List<String> countries = requiredStrings(b, "country_codes");
    List<JsonObject> matching = new ArrayList<>();
    for (JsonObject i : INSTITUTIONS) {
      if (i.getJsonArray("country_codes").stream().anyMatch(countries::contains)) {
        matching.add(i);
      }
    }
    JsonArray page = new JsonArray();
    matching.stream().skip(offset).limit(count).forEach(i -> page.add(i.copy()));
    return new JsonObject().put("institutions", page).put("total", matching.size());
  }

  private Item item(JsonObject b) {
    Item item = items.get(requiredString(b, "access_token"));
    if (item == null) {
      throw SandboxError.invalidInput("INVALID_ACCESS_TOKEN", "provided access token is in an invalid format or"
          + " does not exist");
    }
    return item;
  }

  private static JsonObject account(Item item, String accountId) {
    return item.accounts().stream().filter(a -> a.getString("account_id").equals(accountId)).findFirst()
        .orElseThrow(() -> SandboxError.invalidInput("INVALID_ACCOUNT_ID", "account_id is not an account of this"
            + " item"));
  }

  private JsonObject transfer(String id) {
    JsonObject t = transfers.get(id);
    if (t == null) {
      throw SandboxError.invalidInput("TRANSFER_NOT_FOUND", "transfer_id is not a known transfer");
    }
    return t;
  }

  private static String idempotencyKey(JsonObject b) {
    String key = optionalString(b, "idempotency_key");
    if (key != null && (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY)) {
      throw SandboxError.invalidField("idempotency_key", "must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
    }
    return key;
  }

  private static BigDecimal amount(JsonObject b) {
    String s = requiredString(b, "amount");
    if (!AMOUNT.matcher(s).matches() || new BigDecimal(s).signum() <= 0) {
      throw SandboxError.invalidField("amount", "must be a positive decimal string with two digits, e.g. \"10.00\"");
    }
    return new BigDecimal(s);
  }

  static String requiredString(JsonObject b, String field) {
    return required(b, field, String.class, "must be a string");
  }

  private static String optionalString(JsonObject b, String field) {
    return optional(b, field, String.class, "must be a string");
  }

  private static String oneOf(JsonObject b, String field, List<String> allowed) {
    String v = requiredString(b, field);
    if (!allowed.contains(v)) {
      throw SandboxError.invalidField(field, "must be one of " + allowed);
    }
    return v;
  }

  private static JsonObject requiredObject(JsonObject b, String field) {
    return required(b, field, JsonObject.class, "must be an object");
  }

  private static JsonObject optionalObject(JsonObject b, String field) {
    return optional(b, field, JsonObject.class, "must be an object");
  }

  /** {@code field} of {@code b}: Plaid's missing-field error when absent, invalid-field when not a {@code type}. */
  private static <T> T required(JsonObject b, String field, Class<T> type, String must) {
    T v = optional(b, field, type, must);
    if (v == null) {
      throw SandboxError.missing(field);
    }
    return v;
  }

  /** {@code field} of {@code b}, or null when absent; Plaid's invalid-field error when not a {@code type}. */
  private static <T> T optional(JsonObject b, String field, Class<T> type, String must) {
    Object v = b.getValue(field);
    if (v != null && !type.isInstance(v)) {
      throw SandboxError.invalidField(field, must);
    }
    return type.cast(v);
  }

  private static List<String> requiredStrings(JsonObject b, String field) {
    Object v = b.getValue(field);
    if (v == null) {
      throw SandboxError.missing(field);
    }
    if (!(v instanceof JsonArray a) || a.isEmpty() || a.stream().anyMatch(x -> !(x instanceof String))) {
      throw SandboxError.invalidField(field, "must be a non-empty array of strings");
    }
    return a.stream().map(String.class::cast).toList();
  }

  private static JsonObject account(String name, String officialName, String mask, String type, String subtype,
      String available, String current, String limit) {
    return new JsonObject().put("account_id", randomId(37)).put("balances", new JsonObject()
            .put("available", available == null ? null : Double.valueOf(available))
            .put("current", current == null ? null : Double.valueOf(current))
            .put("limit", limit == null ? null : Double.valueOf(limit)).put("iso_currency_code", "USD")
            .put("unofficial_currency_code", (Object) null))
        .put("mask", mask).put("name", name).put("official_name", officialName).put("subtype", subtype)
        .put("type", type);
  }

  private static JsonObject institution(String id, String name) {
    return new JsonObject().put("institution_id", id).put("name", name)
        .put("products", new JsonArray().add("assets").add("auth").add("balance").add("transactions")
            .add("identity").add("transfer"))
        .put("country_codes", new JsonArray().add("US")).put("url", (Object) null)
        .put("primary_color", (Object) null).put("logo", (Object) null).put("routing_numbers", new JsonArray())
        .put("oauth", false);
  }

  private static BigDecimal decimal(Object v) {
    return v == null ? null : new BigDecimal(v.toString());
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
  }

  private static String uuid() {
    return java.util.UUID.randomUUID().toString();
  }

  /** A Plaid-like request id; not a secret, so the cheap generator. */
  static String requestId() {
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    StringBuilder sb = new StringBuilder(15);
    for (int i = 0; i < 15; i++) {
      sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  static String randomId(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }
}
