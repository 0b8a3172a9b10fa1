package dev.ledgerline.users;

/**
 * A named set of permissions (the sets are configuration: {@code auth.roles.*}). Operators and admins also act on
 * accounts they do not own; that bypass follows the role, not a permission.
 */
public enum Role {
  USER, OPERATOR, ADMIN;

  /** The claim and wire value: lower case. */
  public String claim() {
    return WireNames.of(this);
  }

  /** The role for a claim value, or null when unknown. */
  public static Role fromClaim(String value) {
    return WireNames.parse(values(), value);
  }
}
