package dev.ledgerline.transactions.saga;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A payment's status, as {@code GET /v1/payments/{id}} shows it (lower-case wire names). */
public enum PaymentStatus {
  PENDING,
  RESERVED,
  EXTERNAL_PENDING,
  COMMITTED,
  COMPLETED,
  COMPENSATING,
  COMPENSATED,
  FAILED,
  NEEDS_ATTENTION;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static PaymentStatus fromWire(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  /** A payment in a terminal status is never re-driven. */
  public boolean terminal() {
    return this == COMPLETED || this == COMPENSATED || this == FAILED;
  }
}
