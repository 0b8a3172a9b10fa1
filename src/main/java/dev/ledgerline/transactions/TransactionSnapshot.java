package dev.ledgerline.transactions;

import dev.ledgerline.transactions.TransactionEventException.Reason;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A transaction as a {@code transaction.updated} event describes it: the row of {@code transaction_search} and the
 * value of the cache entry {@code transaction:<id>}. {@code version} grows with every change of the transaction, so
 * of two snapshots the higher version is the newer, whatever order their events arrive in.
 *
 * <p>Payload: {@code {"id", "version" (>= 1), "kind" ("payment"|"transfer"), "status", "account_ids" (decimal u128
 * strings), "amount" (decimal u128 string), "ledger" (u32), "code" (u16), "description"?, "metadata"? (object),
 * "provider_reference"?, "created_at", "updated_at" (ISO-8601 instants)}}. Amounts and account ids are strings
 * because a u128 does not fit a JSON number that every reader parses exactly.
 */
public record TransactionSnapshot(String id, long version, String kind, String status, List<BigInteger> accountIds,
    BigInteger amount, long ledger, int code, String description, JsonObject metadata, String providerReference,
    Instant createdAt, Instant updatedAt) {

  static final Set<String> KINDS = Set.of("payment", "transfer");
  private static final BigInteger U128_LIMIT = BigInteger.ONE.shiftLeft(128);
  private static final long U32_MAX = 0xFFFF_FFFFL;
  private static final int U16_MAX = 0xFFFF;
  private static final int MAX_TEXT = 1000;
  private static final int MAX_ACCOUNTS = 16;

  /** Reads and checks a payload; anything missing, mistyped or out of range is a {@link TransactionEventException}. */
  public static TransactionSnapshot parse(JsonObject p) {
    if (p == null) throw malformed("payload is missing");
    try {
      String id = string(p, "id");
      if (id == null || !TransactionsApi.ID.matcher(id).matches()) throw malformed("id is missing or not an id");
      Long version = p.getLong("version");
      if (version == null || version < 1) throw malformed("version must be an integer >= 1");
      String kind = string(p, "kind");
      if (!KINDS.contains(kind)) throw malformed("kind must be one of " + KINDS);
      String status = string(p, "status");
      if (status == null || !status.matches("^[a-z][a-z_]{0,39}$")) throw malformed("status is missing or invalid");
      JsonArray accounts = p.getJsonArray("account_ids");
      if (accounts == null || accounts.isEmpty() || accounts.size() > MAX_ACCOUNTS) {
        throw malformed("account_ids must list 1 to " + MAX_ACCOUNTS + " accounts");
      }
      List<BigInteger> accountIds = new ArrayList<>();
      for (Object a : accounts) accountIds.add(u128("account_ids", a));
      BigInteger amount = u128("amount", p.getValue("amount"));
      Long ledger = p.getLong("ledger");
      if (ledger == null || ledger < 1 || ledger > U32_MAX) throw malformed("ledger must be a u32 above 0");
      Integer code = p.getInteger("code");
      if (code == null || code < 1 || code > U16_MAX) throw malformed("code must be a u16 above 0");
      String description = text(p, "description");
      JsonObject metadata = p.getJsonObject("metadata", new JsonObject());
      String providerReference = string(p, "provider_reference");
      if (providerReference != null && providerReference.length() > MAX_TEXT) {
        throw malformed("provider_reference is longer than " + MAX_TEXT);
      }
      return new TransactionSnapshot(id, version, kind, status, List.copyOf(accountIds), amount, ledger, code,
          description == null ? "" : description, metadata, providerReference, instant(p, "created_at"),
          instant(p, "updated_at"));
    } catch (ClassCastException e) {
      throw malformed("a field has the wrong JSON type: " + e.getMessage());
    }
  }

  /** The normalized form kept in the cache (the same shape as the payload). */
  public JsonObject toJson() {
    JsonArray accounts = new JsonArray();
    accountIds.forEach(a -> accounts.add(a.toString()));
    return new JsonObject().put("id", id).put("version", version).put("kind", kind).put("status", status)
        .put("account_ids", accounts).put("amount", amount.toString()).put("ledger", ledger).put("code", code)
        .put("description", description).put("metadata", metadata).put("provider_reference", providerReference)
        .put("created_at", createdAt.toString()).put("updated_at", updatedAt.toString());
  }

  private static BigInteger u128(String field, Object value) {
    if (!(value instanceof String s) || !s.matches("^(0|[1-9][0-9]{0,38})$")) {
      throw malformed(field + " must be a decimal u128 in a string");
    }
    BigInteger v = new BigInteger(s);
    if (v.compareTo(U128_LIMIT) >= 0) throw malformed(field + " does not fit a u128");
    return v;
  }

  private static String text(JsonObject p, String field) {
    String s = string(p, field);
    if (s != null && (s.length() > MAX_TEXT || s.indexOf('\0') >= 0)) {
      throw malformed(field + " must be at most " + MAX_TEXT + " characters without NUL");
    }
    return s;
  }

  private static Instant instant(JsonObject p, String field) {
    String s = string(p, field);
    if (s == null) throw malformed(field + " is missing");
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw malformed(field + " is not an ISO-8601 instant");
    }
  }

  /** A string field or null; Vert.x would turn a number into its text, which a payload must not rely on. */
  private static String string(JsonObject p, String field) {
    Object v = p.getValue(field);
    if (v != null && !(v instanceof String)) throw malformed(field + " must be a string");
    return (String) v;
  }

  private static TransactionEventException malformed(String why) {
    return new TransactionEventException(Reason.MALFORMED_PAYLOAD, "transaction.updated: " + why);
  }
}
