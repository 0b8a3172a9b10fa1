package dev.ledgerline.users;

/** The change would leave no active user able to manage users; refused so that the platform keeps an admin. */
public final class LastAdminException extends InvalidUserException {
  public LastAdminException(String userId) {
    super("status", "user " + userId + " is the last active user with admin:users; grant another admin first");
  }
}
