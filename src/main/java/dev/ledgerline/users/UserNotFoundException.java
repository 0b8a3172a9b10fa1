package dev.ledgerline.users;

/** No user of that id. */
public final class UserNotFoundException extends RuntimeException {
  public UserNotFoundException(String id) {
    super("no user " + id, null, false, false);
  }
}
