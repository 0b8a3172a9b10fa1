package dev.ledgerline.users;

/** Only an active user's requests are served; suspended and closed users are refused even with a valid token. */
public enum UserStatus {
  ACTIVE, SUSPENDED, CLOSED;

  public String wireName() {
    return WireNames.of(this);
  }

  /** The status of a wire name, or null when unknown. */
  public static UserStatus fromWire(String name) {
    return WireNames.parse(values(), name);
  }
}
