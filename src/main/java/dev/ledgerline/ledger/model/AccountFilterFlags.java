package dev.ledgerline.ledger.model;

/** {@link AccountFilter} flag bits (u32). */
public final class AccountFilterFlags {
  public static final int DEBITS = 1;
  public static final int CREDITS = 1 << 1;
  public static final int REVERSED = 1 << 2;
  public static final int PADDING_MASK = ~0x7;

  private AccountFilterFlags() {}

  public static int fromName(String name) {
    return switch (name) {
      case "debits" -> DEBITS;
      case "credits" -> CREDITS;
      case "reversed" -> REVERSED;
      default -> throw new IllegalArgumentException("unknown account filter flag: " + name);
    };
  }
}
