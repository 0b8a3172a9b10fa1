package dev.ledgerline.users;

/** The token is valid but its user may not act: suspended, closed, or unknown while auto-provisioning is off. */
public final class UserRefusedException extends RuntimeException {
  /** Why: {@code suspended}, {@code closed} or {@code unknown}. */
  public enum Reason { SUSPENDED, CLOSED, UNKNOWN }

  private final Reason reason;

  public UserRefusedException(String id, Reason reason) {
    super(reason == Reason.UNKNOWN ? "user " + id + " is not known here; an admin must create it"
        : "user " + id + " is " + reason.name().toLowerCase(java.util.Locale.ROOT), null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
