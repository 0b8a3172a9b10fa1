package dev.ledgerline.gateway.json;

import java.util.List;

/** A request body that failed strict parsing; carries every problem found (400 with {@code errors}). */
public final class InvalidRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient List<FieldError> errors;

  public InvalidRequestException(List<FieldError> errors) {
    super("invalid request: " + errors.size() + " error(s)", null, false, false);
    this.errors = List.copyOf(errors);
  }

  public List<FieldError> errors() {
    return errors;
  }
}
