package dev.ledgerline.ledger.model;

/** {@link QueryFilter} flag bits (u32). */
public final class QueryFilterFlags {
  public static final int REVERSED = 1;
  public static final int PADDING_MASK = ~0x1;

  private QueryFilterFlags() {}

  public static int fromName(String name) {
    if (name.equals("reversed")) return REVERSED;
    throw new IllegalArgumentException("unknown query filter flag: " + name);
  }
}
