package dev.ledgerline.gateway.json;

/**
 * One problem with one input field. {@code field} is a JSON path such as {@code transfers[3].amount}; {@code $} is
 * the body as a whole (malformed JSON, wrong top-level type, trailing data).
 */
public record FieldError(String field, String reason) {
  public static final String ROOT = "$";
}
