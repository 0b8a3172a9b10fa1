package dev.ledgerline.users;

import java.util.Locale;

/** Only an active user's requests are served; suspended and closed users are refused even with a valid token. */
public enum UserStatus {
  ACTIVE, SUSPENDED, CLOSED;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The status of a wire name, or null when unknown. */
  public static UserStatus fromWire(String name) {
    for (UserStatus s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
