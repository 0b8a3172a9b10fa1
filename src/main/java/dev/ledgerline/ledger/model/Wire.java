package dev.ledgerline.ledger.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * TigerBeetle's binary layouts (little-endian, no padding): Account, Transfer and AccountBalance are 128 bytes,
 * AccountFilter 128, QueryFilter 64, ids 16, create results 8 ({@code index: u32, result: u32}). All methods use
 * absolute positions and read/write little-endian regardless of the buffer's byte order.
 */
public final class Wire {
  public static final int ACCOUNT_SIZE = 128;
  public static final int TRANSFER_SIZE = 128;
  public static final int ACCOUNT_BALANCE_SIZE = 128;
  public static final int ACCOUNT_FILTER_SIZE = 128;
  public static final int QUERY_FILTER_SIZE = 64;
  public static final int ID_SIZE = 16;
  public static final int RESULT_SIZE = 8;

  /** A fixed-size record's layout: how one value is written at and read from an absolute offset. */
  public interface Layout<T> {
    int size();

    void put(ByteBuffer b, int off, T value);

    T get(ByteBuffer b, int off);
  }

  /** Builds a value from a create result's {@code index} and wire {@code code}. */
  public interface ResultOf<R extends EventResult> {
    R of(int index, int code);
  }

  public static final Layout<Account> ACCOUNT = layout(ACCOUNT_SIZE, Wire::putAccount, Wire::getAccount);
  public static final Layout<Transfer> TRANSFER = layout(TRANSFER_SIZE, Wire::putTransfer, Wire::getTransfer);
  public static final Layout<AccountBalance> ACCOUNT_BALANCE = layout(ACCOUNT_BALANCE_SIZE, Wire::putAccountBalance,
      Wire::getAccountBalance);
  public static final Layout<UInt128> ID = layout(ID_SIZE, Wire::putU128, Wire::getU128);
  public static final Layout<AccountFilter> ACCOUNT_FILTER = layout(ACCOUNT_FILTER_SIZE, Wire::putAccountFilter,
      Wire::getAccountFilter);
  public static final Layout<QueryFilter> QUERY_FILTER = layout(QUERY_FILTER_SIZE, Wire::putQueryFilter,
      Wire::getQueryFilter);

  private interface Put<T> {
    void put(ByteBuffer b, int off, T value);
  }

  private interface Get<T> {
    T get(ByteBuffer b, int off);
  }

  private static <T> Layout<T> layout(int size, Put<T> put, Get<T> get) {
    return new Layout<>() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public void put(ByteBuffer b, int off, T value) {
        put.put(b, off, value);
      }

      @Override
      public T get(ByteBuffer b, int off) {
        return get.get(b, off);
      }
    };
  }

  private Wire() {}

  // ---- lists of records ----

  /** The values one after another, in a new little-endian buffer. */
  public static <T> ByteBuffer encode(List<? extends T> values, Layout<T> layout) {
    int size = layout.size();
    ByteBuffer b = allocate(values.size() * size);
    for (int i = 0; i < values.size(); i++) layout.put(b, i * size, values.get(i));
    return b;
  }

  /** The records from {@code position} to {@code limit}. */
  public static <T> List<T> decode(ByteBuffer b, Layout<T> layout) {
    int size = layout.size();
    int n = b.remaining() / size;
    List<T> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(layout.get(b, b.position() + i * size));
    return out;
  }

  /** Create results as TigerBeetle sends them: {@code index: u32, result: u32}. */
  public static ByteBuffer encodeResults(List<? extends EventResult> results) {
    ByteBuffer b = allocate(results.size() * RESULT_SIZE);
    for (int i = 0; i < results.size(); i++) {
      putInt(b, i * RESULT_SIZE, results.get(i).index());
      putInt(b, i * RESULT_SIZE + 4, results.get(i).result().code());
    }
    return b;
  }

  public static <R extends EventResult> List<R> decodeResults(ByteBuffer b, ResultOf<R> result) {
    int n = b.remaining() / RESULT_SIZE;
    List<R> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int off = b.position() + i * RESULT_SIZE;
      out.add(result.of(getInt(b, off), getInt(b, off + 4)));
    }
    return out;
  }

  // ---- primitives ----

  public static long getLong(ByteBuffer b, int off) {
    long v = b.getLong(off);
    return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v);
  }

  public static void putLong(ByteBuffer b, int off, long v) {
    b.putLong(off, b.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v));
  }

  public static int getInt(ByteBuffer b, int off) {
    int v = b.getInt(off);
    return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v);
  }

  public static void putInt(ByteBuffer b, int off, int v) {
    b.putInt(off, b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v));
  }

  public static int getU16(ByteBuffer b, int off) {
    short v = b.getShort(off);
    return (b.order() == ByteOrder.LITTLE_ENDIAN ? v : Short.reverseBytes(v)) & 0xFFFF;
  }

  public static void putU16(ByteBuffer b, int off, int v) {
    short s = (short) v;
    b.putShort(off, b.order() == ByteOrder.LITTLE_ENDIAN ? s : Short.reverseBytes(s));
  }

  public static UInt128 getU128(ByteBuffer b, int off) {
    return UInt128.of(getLong(b, off), getLong(b, off + 8));
  }

  public static void putU128(ByteBuffer b, int off, UInt128 v) {
    putLong(b, off, v.lo());
    putLong(b, off + 8, v.hi());
  }

  public static ByteBuffer allocate(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  // ---- Account ----

  public static void putAccount(ByteBuffer b, int off, Account a) {
    putU128(b, off, a.id());
    putU128(b, off + 16, a.debitsPending());
    putU128(b, off + 32, a.debitsPosted());
    putU128(b, off + 48, a.creditsPending());
    putU128(b, off + 64, a.creditsPosted());
    putU128(b, off + 80, a.userData128());
    putLong(b, off + 96, a.userData64());
    putInt(b, off + 104, a.userData32());
    putInt(b, off + 108, a.reserved());
    putInt(b, off + 112, a.ledger());
    putU16(b, off + 116, a.code());
    putU16(b, off + 118, a.flags());
    putLong(b, off + 120, a.timestamp());
  }

  public static Account getAccount(ByteBuffer b, int off) {
    return new Account(getU128(b, off), getU128(b, off + 16), getU128(b, off + 32), getU128(b, off + 48),
        getU128(b, off + 64), getU128(b, off + 80), getLong(b, off + 96), getInt(b, off + 104),
        getInt(b, off + 108), getInt(b, off + 112), getU16(b, off + 116), getU16(b, off + 118),
        getLong(b, off + 120));
  }

  public static ByteBuffer encodeAccounts(List<Account> accounts) {
    return encode(accounts, ACCOUNT);
  }

  public static List<Account> decodeAccounts(ByteBuffer b) {
    return decode(b, ACCOUNT);
  }

  // ---- Transfer ----

  public static void putTransfer(ByteBuffer b, int off, Transfer t) {
    putU128(b, off, t.id());
    putU128(b, off + 16, t.debitAccountId());
    putU128(b, off + 32, t.creditAccountId());
    putU128(b, off + 48, t.amount());
    putU128(b, off + 64, t.pendingId());
    putU128(b, off + 80, t.userData128());
    putLong(b, off + 96, t.userData64());
    putInt(b, off + 104, t.userData32());
    putInt(b, off + 108, t.timeout());
    putInt(b, off + 112, t.ledger());
    putU16(b, off + 116, t.code());
    putU16(b, off + 118, t.flags());
    putLong(b, off + 120, t.timestamp());
  }

  public static Transfer getTransfer(ByteBuffer b, int off) {
    return new Transfer(getU128(b, off), getU128(b, off + 16), getU128(b, off + 32), getU128(b, off + 48),
        getU128(b, off + 64), getU128(b, off + 80), getLong(b, off + 96), getInt(b, off + 104),
        getInt(b, off + 108), getInt(b, off + 112), getU16(b, off + 116), getU16(b, off + 118),
        getLong(b, off + 120));
  }

  public static ByteBuffer encodeTransfers(List<Transfer> transfers) {
    return encode(transfers, TRANSFER);
  }

  public static List<Transfer> decodeTransfers(ByteBuffer b) {
    return decode(b, TRANSFER);
  }

  // ---- AccountBalance ----

  public static void putAccountBalance(ByteBuffer b, int off, AccountBalance a) {
    putU128(b, off, a.debitsPending());
    putU128(b, off + 16, a.debitsPosted());
    putU128(b, off + 32, a.creditsPending());
    putU128(b, off + 48, a.creditsPosted());
    putLong(b, off + 64, a.timestamp());
    for (int i = 72; i < 128; i += 8) putLong(b, off + i, 0);
  }

  public static AccountBalance getAccountBalance(ByteBuffer b, int off) {
    return new AccountBalance(getU128(b, off), getU128(b, off + 16), getU128(b, off + 32), getU128(b, off + 48),
        getLong(b, off + 64));
  }

  // ---- filters ----

  public static void putAccountFilter(ByteBuffer b, int off, AccountFilter f) {
    putU128(b, off, f.accountId());
    putU128(b, off + 16, f.userData128());
    putLong(b, off + 32, f.userData64());
    putInt(b, off + 40, f.userData32());
    putU16(b, off + 44, f.code());
    for (int i = 46; i < 104; i++) b.put(off + i, (byte) 0);
    if (f.reservedNonZero()) b.put(off + 46, (byte) 1);
    putLong(b, off + 104, f.timestampMin());
    putLong(b, off + 112, f.timestampMax());
    putInt(b, off + 120, f.limit());
    putInt(b, off + 124, f.flags());
  }

  public static AccountFilter getAccountFilter(ByteBuffer b, int off) {
    boolean reserved = false;
    for (int i = 46; i < 104; i++) reserved |= b.get(off + i) != 0;
    return new AccountFilter(getU128(b, off), getU128(b, off + 16), getLong(b, off + 32), getInt(b, off + 40),
        getU16(b, off + 44), getLong(b, off + 104), getLong(b, off + 112), getInt(b, off + 120),
        getInt(b, off + 124), reserved);
  }

  public static void putQueryFilter(ByteBuffer b, int off, QueryFilter f) {
    putU128(b, off, f.userData128());
    putLong(b, off + 16, f.userData64());
    putInt(b, off + 24, f.userData32());
    putInt(b, off + 28, f.ledger());
    putU16(b, off + 32, f.code());
    for (int i = 34; i < 40; i++) b.put(off + i, (byte) 0);
    if (f.reservedNonZero()) b.put(off + 34, (byte) 1);
    putLong(b, off + 40, f.timestampMin());
    putLong(b, off + 48, f.timestampMax());
    putInt(b, off + 56, f.limit());
    putInt(b, off + 60, f.flags());
  }

  public static QueryFilter getQueryFilter(ByteBuffer b, int off) {
    boolean reserved = false;
    for (int i = 34; i < 40; i++) reserved |= b.get(off + i) != 0;
    return new QueryFilter(getU128(b, off), getLong(b, off + 16), getInt(b, off + 24), getInt(b, off + 28),
        getU16(b, off + 32), getLong(b, off + 40), getLong(b, off + 48), getInt(b, off + 56), getInt(b, off + 60),
        reserved);
  }

  // ---- ids and results ----

  public static ByteBuffer encodeIds(List<UInt128> ids) {
    return encode(ids, ID);
  }

  public static List<UInt128> decodeIds(ByteBuffer b) {
    return decode(b, ID);
  }

  public static ByteBuffer encodeAccountResults(List<CreateAccountsResult> results) {
    return encodeResults(results);
  }

  public static List<CreateAccountsResult> decodeAccountResults(ByteBuffer b) {
    return decodeResults(b, (index, code) -> new CreateAccountsResult(index, CreateAccountResult.fromCode(code)));
  }

  public static ByteBuffer encodeTransferResults(List<CreateTransfersResult> results) {
    return encodeResults(results);
  }

  public static List<CreateTransfersResult> decodeTransferResults(ByteBuffer b) {
    return decodeResults(b, (index, code) -> new CreateTransfersResult(index, CreateTransferResult.fromCode(code)));
  }
}
