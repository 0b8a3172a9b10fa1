package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Fields.*;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The accounts: 16 longs each in one array (creation order, which is timestamp order), their id index, each
 * account's list of transfers (append order = timestamp order) and, for accounts with the history flag, the balances
 * after each of those transfers (8 longs per entry, parallel to the list).
 */
final class AccountStore implements TimestampOrder {
  private long[] records = new long[LONGS * 1024];
  private int count;
  private AccountLists lists = new AccountLists(1024);
  private long[][] history = new long[1024][];

  private final IdIndex index = new IdIndex(1024) {
    @Override
    boolean keyEquals(int a, long lo, long hi) {
      int b = a << 4;
      return records[b] == lo && records[b + 1] == hi;
    }
  };

  @Override
  public int count() {
    return count;
  }

  /** The account with this id, or -1. */
  int find(long idLo, long idHi) {
    return index.find(idLo, idHi);
  }

  long get(int a, int field) {
    return records[(a << 4) + field];
  }

  /** Overwrites the four balances (the setup_balances test hook). */
  void setBalances(int a, UInt128 debitsPending, UInt128 debitsPosted, UInt128 creditsPending,
      UInt128 creditsPosted) {
    final int b = a << 4;
    records[b + DEBITS_PENDING] = debitsPending.lo();
    records[b + DEBITS_PENDING + 1] = debitsPending.hi();
    records[b + DEBITS_POSTED] = debitsPosted.lo();
    records[b + DEBITS_POSTED + 1] = debitsPosted.hi();
    records[b + CREDITS_PENDING] = creditsPending.lo();
    records[b + CREDITS_PENDING + 1] = creditsPending.hi();
    records[b + CREDITS_POSTED] = creditsPosted.lo();
    records[b + CREDITS_POSTED + 1] = creditsPosted.hi();
  }

  int flags(int a) {
    return Fields.flags(records[(a << 4) + LEDGER_CODE_FLAGS]);
  }

  void setFlag(int a, int flag, boolean on) {
    final int i = (a << 4) + LEDGER_CODE_FLAGS;
    final long f = (long) flag << 48;
    records[i] = on ? (records[i] | f) : (records[i] & ~f);
  }

  @Override
  public long timestamp(int a) {
    return records[(a << 4) + TIMESTAMP];
  }

  /** Adds (lo, hi) to a balance field. */
  void add(int a, int field, long lo, long hi) {
    U128.addTo(records, (a << 4) + field, lo, hi);
  }

  /** Subtracts (lo, hi) from a balance field. */
  void subtract(int a, int field, long lo, long hi) {
    U128.subtractFrom(records, (a << 4) + field, lo, hi);
  }

  /** Appends the account event at {@code off} with timestamp {@code ts}; returns its index. */
  int insert(ByteBuffer events, int off, long ts) {
    final int a = count;
    if ((a + 1) << 4 > records.length) records = Arrays.copyOf(records, records.length * 2);
    lists.ensureAccounts(a + 1);
    if (a >= history.length) history = Arrays.copyOf(history, history.length * 2);
    final int b = a << 4;
    for (int k = 0; k < TIMESTAMP; k++) records[b + k] = events.getLong(off + k * 8);
    records[b + TIMESTAMP] = ts;
    lists.reset(a);
    history[a] = null;
    count = a + 1;
    index.insert(records[b], records[b + 1], a);
    return a;
  }

  /** Removes the newest account (rollback of its creation). */
  void removeLast(int a) {
    if (a != count - 1) throw new IllegalStateException("undo out of order");
    final int b = a << 4;
    index.remove(records[b], records[b + 1], a);
    Arrays.fill(records, b, b + LONGS, 0);
    lists.reset(a);
    history[a] = null;
    count--;
  }

  void copyTo(int a, long[] dst, int at) {
    System.arraycopy(records, a << 4, dst, at, LONGS);
  }

  void copyFrom(long[] src, int at, int a) {
    System.arraycopy(src, at, records, a << 4, LONGS);
  }

  // ---- each account's transfers ----

  /** Appends a transfer to the account's list (and its balances to its history); follows the balance updates. */
  void appendTransfer(int a, int transfer) {
    final int len = lists.length(a);
    lists.append(a, transfer);
    if ((flags(a) & AccountFlags.HISTORY) != 0) {
      long[] h = history[a];
      if (h == null) {
        h = history[a] = new long[8 * 16];
      } else if (h.length < 8 * (len + 1)) {
        h = history[a] = Arrays.copyOf(h, h.length + (h.length >> 1));
      }
      System.arraycopy(records, (a << 4) + DEBITS_PENDING, h, len * 8, 8);
    }
  }

  void popTransfer(int a) {
    lists.pop(a);
  }

  int transferCount(int a) {
    return lists.length(a);
  }

  /** The {@code position}-th transfer of the account (in timestamp order). */
  int transferAt(int a, int position) {
    return lists.get(a, position);
  }

  /** The account's balances after each of its transfers (8 longs per entry), or null without any. */
  long[] history(int a) {
    return history[a];
  }

  void setHistory(int a, long[] balances) {
    history[a] = balances;
  }

  // ---- reads ----

  Account account(int a) {
    final int b = a << 4;
    final long[] x = records;
    return new Account(UInt128.of(x[b], x[b + 1]), UInt128.of(x[b + 2], x[b + 3]), UInt128.of(x[b + 4], x[b + 5]),
        UInt128.of(x[b + 6], x[b + 7]), UInt128.of(x[b + 8], x[b + 9]), UInt128.of(x[b + 10], x[b + 11]), x[b + 12],
        userData32(x[b + 13]), upperHalf(x[b + 13]), ledger(x[b + 14]), code(x[b + 14]), Fields.flags(x[b + 14]),
        x[b + 15]);
  }

  /** A copy of the records of all accounts (for a snapshot view; accounts change in place). */
  long[] copyRecords() {
    return Arrays.copyOf(records, count * LONGS);
  }

  // ---- snapshots ----

  /** Installs loaded records and rebuilds the id index; the transfer lists start empty. */
  void restore(long[] loaded, int n) {
    records = loaded;
    count = n;
    int cap = Math.max(1024, Integer.highestOneBit(Math.max(1, n)) * 2);
    lists = new AccountLists(cap);
    history = new long[cap][];
    index.clear();
    for (int a = 0; a < n; a++) index.insert(records[a << 4], records[(a << 4) + 1], a);
  }

  /** Rebuilds every account's transfer list from the transfers (the history is loaded separately). */
  void restoreTransferLists(TransferStore transfers) {
    for (int t = 0; t < transfers.count(); t++) {
      lists.append(find(transfers.get(t, DEBIT_ACCOUNT_ID), transfers.get(t, DEBIT_ACCOUNT_ID + 1)), t);
      lists.append(find(transfers.get(t, CREDIT_ACCOUNT_ID), transfers.get(t, CREDIT_ACCOUNT_ID + 1)), t);
    }
  }

  long memoryBytes() {
    long bytes = (long) records.length * 8 + index.memoryBytes() + lists.memoryBytes(count);
    for (int i = 0; i < count; i++) if (history[i] != null) bytes += (long) history[i].length * 8;
    return bytes;
  }
}
