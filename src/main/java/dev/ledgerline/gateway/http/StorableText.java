package dev.ledgerline.gateway.http;

/**
 * Whether a caller-chosen string (a token's subject, an idempotency key) may be stored and batched with others.
 * PostgreSQL's {@code text} refuses NUL and Java strings may carry unpaired UTF-16 surrogates, which are not
 * encodable as UTF-8; either fails the whole statement it is in, so such values are refused at the edge, per request,
 * before they meet anyone else's rows.
 */
public final class StorableText {
  /** Longest subject accepted (characters): with a 255-character key it keeps a key row well inside an index page. */
  public static final int MAX_SUBJECT = 255;

  private StorableText() {}

  /**
   * Null when {@code value} is 1 to {@code maxChars} characters of well-formed UTF-16 without control characters
   * (C0, DEL, C1); otherwise a short reason for logs.
   */
  public static String problem(String value, int maxChars) {
    if (value == null || value.isEmpty()) {
      return "empty";
    }
    if (value.length() > maxChars) {
      return "longer than " + maxChars + " characters";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
        return "contains a control character";
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
          return "contains an unpaired surrogate";
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return "contains an unpaired surrogate";
      }
    }
    return null;
  }

  public static boolean acceptable(String value, int maxChars) {
    return problem(value, maxChars) == null;
  }
}
