package dev.ledgerline.events;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The event types the house knows, each with a stable numeric code: the ledger event store writes the code into a
 * transfer's {@code code} (u16) and {@code user_data_64}, so a code is never reused or renumbered. An unknown type is
 * refused before anything is written.
 */
public final class EventTypes {
  /** Lower-case dotted words: the type is also part of the event-bus address {@code events.<type>}. */
  private static final Pattern NAME = Pattern.compile("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*){1,7}$");
  private static final int CODE_MAX = 0xFFFF;

  /**
   * The house's types. 1 to 16 are the outbox's; 17 to 30 are a payment's history in the ledger event store (one per
   * state change, see docs/payments.md). 40 and 41 are the outbound webhooks' (docs/webhooks.md). Codes only ever get
   * added.
   */
  public static final EventTypes KNOWN = new EventTypes(Map.ofEntries(
      Map.entry("transaction.created", 1),
      Map.entry("transaction.updated", 2),
      Map.entry("user.created", 3),
      Map.entry("user.updated", 4),
      Map.entry("provider.breaker.changed", 5),
      Map.entry("provider.transfer.updated", 6),
      Map.entry("payment.updated", 16),
      Map.entry("payment.requested", 17),
      Map.entry("payment.funds_reserved", 18),
      Map.entry("payment.pending_created", 19),
      Map.entry("payment.external_requested", 20),
      Map.entry("payment.external_succeeded", 21),
      Map.entry("payment.committed", 22),
      Map.entry("payment.completed", 23),
      Map.entry("payment.compensating", 24),
      Map.entry("payment.compensation_done", 25),
      Map.entry("payment.compensated", 26),
      Map.entry("payment.failed", 27),
      Map.entry("payment.needs_attention", 28),
      Map.entry("payment.resolved", 29),
      Map.entry("payment.cancel_requested", 30),
      Map.entry("transfer.committed", 40),
      Map.entry("webhook.endpoint.disabled", 41)));

  private final Map<String, Integer> codes;
  private final Map<Integer, String> names;

  private EventTypes(Map<String, Integer> codes) {
    Map<String, Integer> byName = new LinkedHashMap<>();
    Map<Integer, String> byCode = new LinkedHashMap<>();
    codes.forEach((name, code) -> {
      if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("bad event type name: " + name);
      if (code < 1 || code > CODE_MAX) throw new IllegalArgumentException("event type code is a u16 above 0: " + code);
      if (byCode.put(code, name) != null) throw new IllegalArgumentException("event type code used twice: " + code);
      byName.put(name, code);
    });
    this.codes = Collections.unmodifiableMap(byName);
    this.names = Collections.unmodifiableMap(byCode);
  }

  /** A registry of the given name → code pairs (tests and embedding applications). */
  public static EventTypes of(Map<String, Integer> codes) {
    return new EventTypes(codes);
  }

  public boolean known(String type) {
    return type != null && codes.containsKey(type);
  }

  /** The code of a known type. */
  public int code(String type) {
    Integer c = codes.get(type);
    if (c == null) {
      throw new EventRejectedException(EventRejectedException.Reason.UNKNOWN_TYPE, "unknown event type: " + type);
    }
    return c;
  }

  public Optional<String> name(int code) {
    return Optional.ofNullable(names.get(code));
  }

  /** The event-bus address subscribers listen on for one type. */
  public static String address(String type) {
    return "events." + type;
  }
}
