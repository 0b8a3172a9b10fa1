package dev.ledgerline.ledger.model;

/**
 * Filter of {@code get_account_transfers} / {@code get_account_balances} (TigerBeetle's 128-byte
 * {@code AccountFilter}). Zero in an optional field means "no filter"; timestamps are inclusive; {@code limit} and
 * {@code flags} are u32 ({@link AccountFilterFlags}). {@code reservedNonZero} carries a nonzero reserved area from
 * the wire, which makes the filter invalid.
 */
public record AccountFilter(
    UInt128 accountId,
    UInt128 userData128,
    long userData64,
    int userData32,
    int code,
    long timestampMin,
    long timestampMax,
    int limit,
    int flags,
    boolean reservedNonZero) {

  public AccountFilter(UInt128 accountId, UInt128 userData128, long userData64, int userData32, int code,
      long timestampMin, long timestampMax, int limit, int flags) {
    this(accountId, userData128, userData64, userData32, code, timestampMin, timestampMax, limit, flags, false);
  }

  /** Both directions, no filters, ascending. */
  public static AccountFilter of(UInt128 accountId, int limit) {
    return new AccountFilter(accountId, UInt128.ZERO, 0, 0, 0, 0, 0, limit,
        AccountFilterFlags.DEBITS | AccountFilterFlags.CREDITS);
  }

  public boolean reversed() {
    return (flags & AccountFilterFlags.REVERSED) != 0;
  }
}
