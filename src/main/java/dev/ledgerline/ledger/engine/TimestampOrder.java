package dev.ledgerline.ledger.engine;

/** Records kept in ascending timestamp order (accounts, transfers): finding one by its timestamp. */
interface TimestampOrder {
  int count();

  long timestamp(int i);

  /** The record with this timestamp, or -1. */
  default int byTimestamp(long ts) {
    int lo = 0;
    int hi = count() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Long.compareUnsigned(timestamp(mid), ts);
      if (c == 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
