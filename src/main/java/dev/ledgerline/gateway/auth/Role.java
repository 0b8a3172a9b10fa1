package dev.ledgerline.gateway.auth;

import java.util.Locale;

/** The roles a token's {@code roles} claim may grant. */
public enum Role {
  USER, OPERATOR, ADMIN;

  /** The claim value: lower case. */
  public String claim() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role for a claim value, or null when unknown. */
  public static Role fromClaim(String value) {
    for (Role r : values()) {
      if (r.claim().equals(value)) {
        return r;
      }
    }
    return null;
  }
}
