package dev.ledgerline.users;

import java.util.EnumSet;
import java.util.Set;

/** A fine-grained right; every route declares the one it needs. The wire name is {@code area:verb}. */
public enum Permission {
  ACCOUNTS_READ("accounts:read"),
  ACCOUNTS_CREATE("accounts:create"),
  TRANSFERS_CREATE("transfers:create"),
  TRANSFERS_READ("transfers:read"),
  PAYMENTS_CREATE("payments:create"),
  PAYMENTS_READ("payments:read"),
  TRANSACTIONS_SEARCH("transactions:search"),
  LINKED_ACCOUNTS_MANAGE("linked_accounts:manage"),
  WEBHOOKS_MANAGE("webhooks:manage"),
  STREAM_CONNECT("stream:connect"),
  OPERATOR_READ("operator:read"),
  OPERATOR_RESOLVE("operator:resolve"),
  ADMIN_USERS("admin:users");

  private final String wireName;

  Permission(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** The permission of a wire name, or null when there is none of that name. */
  public static Permission fromWire(String name) {
    if (name == null) {
      return null;
    }
    for (Permission p : values()) {
      if (p.wireName.equals(name)) {
        return p;
      }
    }
    return null;
  }

  /** The permissions of wire names; throws naming the first unknown one. */
  public static Set<Permission> parseAll(Iterable<?> names, String field) {
    Set<Permission> out = EnumSet.noneOf(Permission.class);
    for (Object n : names) {
      Permission p = n instanceof String s ? fromWire(s) : null;
      if (p == null) {
        throw new InvalidUserException(field, "unknown permission " + quote(n) + "; known: " + known());
      }
      out.add(p);
    }
    return out;
  }

  static String known() {
    StringBuilder b = new StringBuilder();
    for (Permission p : values()) {
      b.append(b.length() == 0 ? "" : ", ").append(p.wireName);
    }
    return b.toString();
  }

  static String quote(Object o) {
    String s = String.valueOf(o);
    // Echo at most a short, printable prefix of what the caller sent.
    s = s.length() > 64 ? s.substring(0, 64) + "…" : s;
    return "\"" + s.replaceAll("\\p{Cntrl}", "?") + "\"";
  }
}
