package dev.ledgerline.gateway.json;

import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.TransferFlags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Flag names as clients write them (TigerBeetle's lower-case names) and which of them clients may set. Values come
 * from the ledger model, so the API and the ledger cannot drift apart.
 */
public final class FlagNames {
  /**
   * Names clients may not send. {@code imported} lets the caller choose the event's timestamp (a migration tool for
   * operators, not an API feature): accepting it would let a client backdate entries. Padding bits cannot be sent at
   * all because flags are names, not numbers.
   */
  public static final Set<String> NOT_FROM_CLIENTS = Set.of("imported");

  public static final FlagNames TRANSFER = new FlagNames("transfer", names(List.of("linked", "pending",
      "post_pending_transfer", "void_pending_transfer", "balancing_debit", "balancing_credit", "closing_debit",
      "closing_credit", "imported"), true));
  public static final FlagNames ACCOUNT = new FlagNames("account", names(List.of("linked",
      "debits_must_not_exceed_credits", "credits_must_not_exceed_debits", "history", "imported", "closed"), false));

  private final String kind;
  private final Map<String, Integer> bits;

  private FlagNames(String kind, Map<String, Integer> bits) {
    this.kind = kind;
    this.bits = bits;
  }

  private static Map<String, Integer> names(List<String> names, boolean transfer) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (String n : names) {
      m.put(n, transfer ? TransferFlags.fromName(n) : AccountFlags.fromName(n));
    }
    return m;
  }

  public String kind() {
    return kind;
  }

  /** The bit of a name, or null when the name is unknown. */
  public Integer bit(String name) {
    return bits.get(name);
  }

  /** Names clients may send, in bit order. */
  public List<String> clientNames() {
    List<String> out = new ArrayList<>();
    for (String n : bits.keySet()) {
      if (!NOT_FROM_CLIENTS.contains(n)) {
        out.add(n);
      }
    }
    return out;
  }

  /** The names of the set bits, in bit order (bits without a name are not named: the ledger keeps them zero). */
  public List<String> namesOf(int flags) {
    List<String> out = new ArrayList<>();
    bits.forEach((n, b) -> {
      if ((flags & b) != 0) {
        out.add(n);
      }
    });
    return out;
  }
}
