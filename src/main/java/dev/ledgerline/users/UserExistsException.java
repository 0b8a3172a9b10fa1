package dev.ledgerline.users;

/** A user of that id exists already. */
public final class UserExistsException extends RuntimeException {
  public UserExistsException(String id) {
    super("user " + id + " exists", null, false, false);
  }
}
