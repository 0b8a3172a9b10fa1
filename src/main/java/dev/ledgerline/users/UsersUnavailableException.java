package dev.ledgerline.users;

/** The user could not be loaded (PostgreSQL unreachable) and no usable cached copy was at hand: fail closed. */
public final class UsersUnavailableException extends RuntimeException {
  public UsersUnavailableException(String detail, Throwable cause) {
    super(detail, cause, false, false);
  }
}
