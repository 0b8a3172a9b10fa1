package dev.ledgerline.gateway.stream;

import dev.ledgerline.gateway.json.ResponseJson;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;

/**
 * The JSON text frames of {@code /v1/stream}. The body of a transfer or balance frame is encoded once per event and
 * shared by every connection that receives it; only {@code seq} differs, so frames are assembled as strings.
 */
final class StreamFrames {
  private StreamFrames() {}

  /** {@code "transfer":{...}} as written by the HTTP API. */
  static String transferBody(Transfer t) {
    return ResponseJson.transfer(t).toString();
  }

  /**
   * The balance fields of an account, without braces: {@code "debits_pending":"0",...,"available":"5"}, then the
   * balance's {@code balance_version} and {@code balance_age_ms} when it has a stamp. The account's own timestamp
   * (its creation) is left out: next to balances it would read as their time.
   */
  static String balanceFields(Account a, ResponseJson.BalanceStamp stamp) {
    JsonObject full = new JsonObject(ResponseJson.account(a));
    JsonObject b = new JsonObject();
    for (String f : new String[] {"debits_pending", "debits_posted", "credits_pending", "credits_posted",
        "available"}) {
      b.put(f, full.getValue(f));
    }
    if (stamp != null) {
      b.put("balance_version", Long.toUnsignedString(stamp.version())).put("balance_age_ms", stamp.ageMillis());
    }
    String s = b.encode();
    return s.substring(1, s.length() - 1);
  }

  /** A transfer frame; {@code cursor} is left out when null (no key yet), {@code replay} marks a replayed one. */
  static String transfer(long seq, String account, String cursor, String transferBody, boolean replay) {
    return "{\"type\":\"transfer\",\"seq\":" + seq + ",\"account\":\"" + account + "\""
        + (cursor == null ? "" : ",\"cursor\":\"" + cursor + "\"") + (replay ? ",\"replay\":true" : "")
        + ",\"transfer\":" + transferBody + "}";
  }

  static String balance(long seq, String account, String cursor, String balanceFields) {
    return "{\"type\":\"balance\",\"seq\":" + seq + ",\"account\":\"" + account + "\""
        + (cursor == null ? "" : ",\"cursor\":\"" + cursor + "\"") + "," + balanceFields + "}";
  }

  static String subscribed(long seq, String type, Collection<String> accounts) {
    return subscribed(seq, type, accounts, null);
  }

  /** With each account's cursor at the subscription's start ({@code cursors} may be null or empty). */
  static String subscribed(long seq, String type, Collection<String> accounts, java.util.Map<String, String> cursors) {
    JsonObject o = new JsonObject().put("type", type).put("seq", seq).put("accounts", new JsonArray(
        java.util.List.copyOf(accounts)));
    if (cursors != null && !cursors.isEmpty()) {
      o.put("cursors", new JsonObject(new java.util.LinkedHashMap<String, Object>(cursors)));
    }
    return o.encode();
  }

  /** An error about the client's message; {@code account} may be null. */
  static String error(long seq, String code, String message, String account) {
    JsonObject o = new JsonObject().put("type", "error").put("seq", seq).put("code", code).put("message", message);
    if (account != null) {
      o.put("account", account);
    }
    return o.encode();
  }
}
