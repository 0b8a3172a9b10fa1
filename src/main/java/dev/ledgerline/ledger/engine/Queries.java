package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Fields.*;

import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.QueryFilterFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/** The read operations: lookups, an account's transfers and balances, and the query filters. Changes nothing. */
final class Queries {
  private final AccountStore accounts;
  private final TransferStore transfers;

  Queries(AccountStore accounts, TransferStore transfers) {
    this.accounts = accounts;
    this.transfers = transfers;
  }

  List<Account> lookupAccounts(List<UInt128> ids) {
    return lookup(ids, accounts::find, accounts::account);
  }

  List<Transfer> lookupTransfers(List<UInt128> ids) {
    return lookup(ids, transfers::find, transfers::transfer);
  }

  /** A store's slot for an id (its two u64 halves), or a negative number when absent. */
  @FunctionalInterface
  private interface Slots {
    int find(long idLo, long idHi);
  }

  /** The records of the ids that exist, in request order; absent ids are left out, as TigerBeetle does. */
  private static <T> List<T> lookup(List<UInt128> ids, Slots slots, IntFunction<T> record) {
    List<T> out = new ArrayList<>();
    for (UInt128 id : ids) {
      int slot = slots.find(id.lo(), id.hi());
      if (slot >= 0) out.add(record.apply(slot));
    }
    return out;
  }

  List<Transfer> getAccountTransfers(AccountFilter f) {
    List<Transfer> out = new ArrayList<>();
    if (!accountFilterValid(f)) return out;
    int a = accounts.find(f.accountId().lo(), f.accountId().hi());
    if (a < 0) return out;
    for (int position : scanAccount(f, a)) out.add(transfers.transfer(accounts.transferAt(a, position)));
    return out;
  }

  List<AccountBalance> getAccountBalances(AccountFilter f) {
    List<AccountBalance> out = new ArrayList<>();
    if (!accountFilterValid(f)) return out;
    int a = accounts.find(f.accountId().lo(), f.accountId().hi());
    if (a < 0 || (accounts.flags(a) & AccountFlags.HISTORY) == 0) return out;
    long[] h = accounts.history(a);
    for (int position : scanAccount(f, a)) {
      int e = position * 8;
      out.add(new AccountBalance(UInt128.of(h[e], h[e + 1]), UInt128.of(h[e + 2], h[e + 3]),
          UInt128.of(h[e + 4], h[e + 5]), UInt128.of(h[e + 6], h[e + 7]),
          transfers.timestamp(accounts.transferAt(a, position))));
    }
    return out;
  }

  List<Account> queryAccounts(QueryFilter f) {
    List<Account> out = new ArrayList<>();
    if (!queryFilterValid(f)) return out;
    final Scan scan = Scan.of(f.timestampMin(), f.timestampMax(), f.limit(), f.reversed());
    final int n = accounts.count();
    for (int a = scan.reversed() ? n - 1 : 0; out.size() < scan.limit() && a >= 0 && a < n; a += scan.step()) {
      if (!scan.contains(accounts.timestamp(a))) continue;
      if (!matches(accounts.get(a, USER_DATA_128), accounts.get(a, USER_DATA_128 + 1), accounts.get(a, USER_DATA_64),
          accounts.get(a, USER_DATA_32), accounts.get(a, LEDGER_CODE_FLAGS), f.userData128(), f.userData64(),
          f.userData32(), f.ledger(), f.code())) {
        continue;
      }
      out.add(accounts.account(a));
    }
    return out;
  }

  List<Transfer> queryTransfers(QueryFilter f) {
    List<Transfer> out = new ArrayList<>();
    if (!queryFilterValid(f)) return out;
    final Scan scan = Scan.of(f.timestampMin(), f.timestampMax(), f.limit(), f.reversed());
    if (scan.isEmpty()) return out;
    final int n = transfers.count();
    int start = scan.reversed() ? transfers.upperBound(scan.max()) - 1 : transfers.lowerBound(scan.min());
    for (int t = start; out.size() < scan.limit() && t >= 0 && t < n; t += scan.step()) {
      if (scan.isPast(transfers.timestamp(t))) break;
      if (!transferMatches(t, f.userData128(), f.userData64(), f.userData32(), f.ledger(), f.code())) continue;
      out.add(transfers.transfer(t));
    }
    return out;
  }

  /**
   * What every filter asks of a scan in timestamp order: the timestamps min..max (unsigned, inclusive; a filter's 0
   * leaves that end open), at most {@code limit} results (capped at a batch), and the direction.
   */
  private record Scan(long min, long max, int limit, boolean reversed) {
    static Scan of(long timestampMin, long timestampMax, int limit, boolean reversed) {
      return new Scan(timestampMin == 0 ? 1 : timestampMin,
          timestampMax == 0 ? StateMachine.TIMESTAMP_MAX : timestampMax,
          Integer.compareUnsigned(limit, LedgerBackend.BATCH_MAX) > 0 ? LedgerBackend.BATCH_MAX : limit, reversed);
    }

    boolean isEmpty() {
      return Long.compareUnsigned(min, max) > 0;
    }

    boolean contains(long timestamp) {
      return Long.compareUnsigned(timestamp, min) >= 0 && Long.compareUnsigned(timestamp, max) <= 0;
    }

    /** Beyond the far end in scan order: nothing after it can match. */
    boolean isPast(long timestamp) {
      return reversed ? Long.compareUnsigned(timestamp, min) < 0 : Long.compareUnsigned(timestamp, max) > 0;
    }

    int step() {
      return reversed ? -1 : 1;
    }
  }

  private static boolean accountFilterValid(AccountFilter f) {
    return !f.accountId().isZero() && !f.accountId().isMax()
        && f.timestampMin() != -1L && f.timestampMax() != -1L
        && (f.timestampMax() == 0 || Long.compareUnsigned(f.timestampMin(), f.timestampMax()) <= 0)
        && f.limit() != 0
        && (f.flags() & (AccountFilterFlags.DEBITS | AccountFilterFlags.CREDITS)) != 0
        && (f.flags() & AccountFilterFlags.PADDING_MASK) == 0
        && !f.reservedNonZero();
  }

  private static boolean queryFilterValid(QueryFilter f) {
    return f.timestampMin() != -1L && f.timestampMax() != -1L
        && (f.timestampMax() == 0 || Long.compareUnsigned(f.timestampMin(), f.timestampMax()) <= 0)
        && f.limit() != 0
        && (f.flags() & QueryFilterFlags.PADDING_MASK) == 0
        && !f.reservedNonZero();
  }

  /** Positions in the account's transfer list matching the filter, in reply order (≤ limit). */
  private int[] scanAccount(AccountFilter f, int a) {
    final Scan scan = Scan.of(f.timestampMin(), f.timestampMax(), f.limit(), f.reversed());
    final int len = accounts.transferCount(a);
    final boolean debits = (f.flags() & AccountFilterFlags.DEBITS) != 0;
    final boolean credits = (f.flags() & AccountFilterFlags.CREDITS) != 0;
    final long idLo = accounts.get(a, ID);
    final long idHi = accounts.get(a, ID + 1);
    int[] out = new int[Math.min(scan.limit(), Math.max(len, 0))];
    int n = 0;
    if (len == 0 || scan.isEmpty()) return out;
    int start = scan.reversed() ? upperBound(a, len, scan.max()) - 1 : lowerBound(a, len, scan.min());
    for (int i = start; n < scan.limit() && i >= 0 && i < len; i += scan.step()) {
      int t = accounts.transferAt(a, i);
      if (scan.isPast(transfers.timestamp(t))) break;
      boolean isDebit = transfers.get(t, DEBIT_ACCOUNT_ID) == idLo && transfers.get(t, DEBIT_ACCOUNT_ID + 1) == idHi;
      if (isDebit ? !debits : !credits) continue;
      if (!transferMatches(t, f.userData128(), f.userData64(), f.userData32(), 0, f.code())) continue;
      out[n++] = i;
    }
    return Arrays.copyOf(out, n);
  }

  private boolean transferMatches(int t, UInt128 userData128, long userData64, int userData32, int ledger, int code) {
    return matches(transfers.get(t, USER_DATA_128), transfers.get(t, USER_DATA_128 + 1),
        transfers.get(t, USER_DATA_64), transfers.get(t, USER_DATA_32), transfers.get(t, LEDGER_CODE_FLAGS),
        userData128, userData64, userData32, ledger, code);
  }

  /** Whether a record's fields match the filter's (a zero filter field matches anything). */
  private static boolean matches(long recordUserData128Lo, long recordUserData128Hi, long recordUserData64,
      long recordUserData32Word, long recordLedgerCodeFlags, UInt128 userData128, long userData64, int userData32,
      int ledger, int code) {
    if (!userData128.isZero()
        && (recordUserData128Lo != userData128.lo() || recordUserData128Hi != userData128.hi())) {
      return false;
    }
    if (userData64 != 0 && recordUserData64 != userData64) return false;
    if (userData32 != 0 && Fields.userData32(recordUserData32Word) != userData32) return false;
    if (ledger != 0 && Fields.ledger(recordLedgerCodeFlags) != ledger) return false;
    return code == 0 || Fields.code(recordLedgerCodeFlags) == code;
  }

  /** The first position in the account's list with timestamp ≥ ts. */
  private int lowerBound(int a, int len, long ts) {
    return firstPosition(a, len, ts, false);
  }

  /** The first position in the account's list with timestamp > ts. */
  private int upperBound(int a, int len, long ts) {
    return firstPosition(a, len, ts, true);
  }

  /** Binary search over the account's list, which is in timestamp order: the first position past {@code ts}. */
  private int firstPosition(int a, int len, long ts, boolean skipEqual) {
    int lo = 0;
    int hi = len;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      int c = Long.compareUnsigned(transfers.timestamp(accounts.transferAt(a, mid)), ts);
      if (c < 0 || (skipEqual && c == 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
