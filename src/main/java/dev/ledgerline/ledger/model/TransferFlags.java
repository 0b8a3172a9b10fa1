package dev.ledgerline.ledger.model;

/** Transfer flag bits (TigerBeetle's {@code TransferFlags}, a packed u16). */
public final class TransferFlags {
  public static final int NONE = 0;
  public static final int LINKED = 1;
  public static final int PENDING = 1 << 1;
  public static final int POST_PENDING_TRANSFER = 1 << 2;
  public static final int VOID_PENDING_TRANSFER = 1 << 3;
  public static final int BALANCING_DEBIT = 1 << 4;
  public static final int BALANCING_CREDIT = 1 << 5;
  public static final int CLOSING_DEBIT = 1 << 6;
  public static final int CLOSING_CREDIT = 1 << 7;
  public static final int IMPORTED = 1 << 8;
  /** Bits 9..15 must be zero ({@code reserved_flag}). */
  public static final int PADDING_MASK = 0xFE00;

  private static final FlagNames NAMES = new FlagNames("transfer flag",
      "linked", "pending", "post_pending_transfer", "void_pending_transfer", "balancing_debit", "balancing_credit",
      "closing_debit", "closing_credit", "imported");

  private TransferFlags() {}

  /** The flag value for TigerBeetle's lower-case name, e.g. {@code pending}. */
  public static int fromName(String name) {
    return NAMES.bit(name);
  }

  public static String toString(int flags) {
    return NAMES.join(flags);
  }
}
