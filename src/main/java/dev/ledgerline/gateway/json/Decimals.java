package dev.ledgerline.gateway.json;

import dev.ledgerline.ledger.model.UInt128;
import java.math.BigInteger;
import java.util.List;

/**
 * The one definition of an unsigned decimal in the API: digits only, "0" or no leading zero, below 2^128 (u128) or
 * 2^64 (u64). Used for JSON strings and for path and query parameters such as {@code /accounts/{id}}.
 */
public final class Decimals {
  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  private Decimals() {}

  /** Parses a u128 parameter; throws {@link InvalidRequestException} naming {@code field}. */
  public static UInt128 u128(String field, String text) {
    String reason = u128Problem(text);
    if (reason != null) {
      throw new InvalidRequestException(List.of(new FieldError(field, reason)));
    }
    return UInt128.parse(text);
  }

  /** Parses a u64 parameter into the unsigned bits of a long; throws {@link InvalidRequestException}. */
  public static long u64(String field, String text) {
    String reason = u64Problem(text);
    if (reason != null) {
      throw new InvalidRequestException(List.of(new FieldError(field, reason)));
    }
    return Long.parseUnsignedLong(text);
  }

  /** Why {@code text} is not a u128, or null when it is one. */
  public static String u128Problem(String text) {
    String r = digitsProblem(text, 39, "2^128");
    if (r == null && text.length() == 39) {
      try {
        UInt128.parse(text);
      } catch (IllegalArgumentException e) {
        return "must be less than 2^128";
      }
    }
    return r;
  }

  /** Why {@code text} is not a u64, or null when it is one. */
  public static String u64Problem(String text) {
    String r = digitsProblem(text, 20, "2^64");
    if (r == null && text.length() == 20 && new BigInteger(text).compareTo(TWO_64) >= 0) {
      return "must be less than 2^64";
    }
    return r;
  }

  private static String digitsProblem(String s, int maxLength, String bound) {
    if (s == null || s.isEmpty()) {
      return "must not be empty";
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return "must contain only the digits 0-9 (no sign, spaces, decimal point or exponent)";
      }
    }
    if (s.length() > 1 && s.charAt(0) == '0') {
      return "must not have leading zeros";
    }
    if (s.length() > maxLength) {
      return "must be less than " + bound;
    }
    return null;
  }
}
