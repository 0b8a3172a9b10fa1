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

  /** The house's types; the payments issue adds its own here, with new codes. */
  public static final EventTypes KNOWN = new EventTypes(Map.of(
      "transaction.created", 1,
      "transaction.updated", 2,
      "user.created", 3,
      "user.updated", 4,
      "provider.breaker.changed", 5,
      "payment.updated", 16));

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
