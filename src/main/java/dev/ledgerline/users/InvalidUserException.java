package dev.ledgerline.users;

/** A user or a change to one that cannot be accepted (unknown permission, empty role set, ...): nothing was changed. */
public class InvalidUserException extends RuntimeException {
  private final String field;

  public InvalidUserException(String field, String detail) {
    super(detail, null, false, false);
    this.field = field;
  }

  /** The request field at fault, as the caller spelt it. */
  public String field() {
    return field;
  }
}
