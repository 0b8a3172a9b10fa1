package dev.ledgerline.ledger.model;

/**
 * Filter of {@code query_accounts} / {@code query_transfers} (TigerBeetle's 64-byte {@code QueryFilter}). Zero in an
 * optional field means "no filter"; timestamps are inclusive; {@code limit} and {@code flags} are u32
 * ({@link QueryFilterFlags}). {@code reservedNonZero} carries a nonzero reserved area from the wire.
 */
public record QueryFilter(
    UInt128 userData128,
    long userData64,
    int userData32,
    int ledger,
    int code,
    long timestampMin,
    long timestampMax,
    int limit,
    int flags,
    boolean reservedNonZero) {

  public QueryFilter(UInt128 userData128, long userData64, int userData32, int ledger, int code, long timestampMin,
      long timestampMax, int limit, int flags) {
    this(userData128, userData64, userData32, ledger, code, timestampMin, timestampMax, limit, flags, false);
  }

  public static QueryFilter all(int limit) {
    return new QueryFilter(UInt128.ZERO, 0, 0, 0, 0, 0, 0, limit, 0);
  }

  public boolean reversed() {
    return (flags & QueryFilterFlags.REVERSED) != 0;
  }
}
