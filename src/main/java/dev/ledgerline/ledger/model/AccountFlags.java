package dev.ledgerline.ledger.model;

/** Account flag bits (TigerBeetle's {@code AccountFlags}, a packed u16). */
public final class AccountFlags {
  public static final int NONE = 0;
  public static final int LINKED = 1;
  public static final int DEBITS_MUST_NOT_EXCEED_CREDITS = 1 << 1;
  public static final int CREDITS_MUST_NOT_EXCEED_DEBITS = 1 << 2;
  public static final int HISTORY = 1 << 3;
  public static final int IMPORTED = 1 << 4;
  public static final int CLOSED = 1 << 5;
  /** Bits 6..15 must be zero ({@code reserved_flag}). */
  public static final int PADDING_MASK = 0xFFC0;

  private static final FlagNames NAMES = new FlagNames("account flag",
      "linked", "debits_must_not_exceed_credits", "credits_must_not_exceed_debits", "history", "imported", "closed");

  private AccountFlags() {}

  /** The flag value for TigerBeetle's lower-case name, e.g. {@code history}. */
  public static int fromName(String name) {
    return NAMES.bit(name);
  }

  public static String toString(int flags) {
    return NAMES.join(flags);
  }
}
