package dev.ledgerline.users;

/** Event-bus addresses of the users room. */
public final class UsersApi {
  /**
   * Published (to every node) after a user changes; the body is the user as {@link User#toWire()} writes it. Each
   * node's {@link UserDirectory} keeps the copy with the highest version.
   */
  public static final String USER_CHANGED = "ledgerline.users.changed";

  private UsersApi() {}
}
