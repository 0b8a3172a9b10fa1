package dev.ledgerline.ledger.tigerbeetle;

import com.tigerbeetle.AccountBalanceBatch;
import com.tigerbeetle.AccountBatch;
import com.tigerbeetle.Batch;
import com.tigerbeetle.CreateAccountResultBatch;
import com.tigerbeetle.CreateTransferResultBatch;
import com.tigerbeetle.IdBatch;
import com.tigerbeetle.TransferBatch;
import dev.ledgerline.ledger.Operation;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.QueryFilterFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Maps the ledger model to the TigerBeetle 0.16.30 Java client's types and back.
 *
 * <p>u128 values always travel as (least, most significant) long pairs of our {@link UInt128}, never through the
 * client's {@code BigInteger} setters: those do not range-check in 0.16.30 (a negative or a 129-bit value would be
 * silently truncated). {@link #u128(BigInteger)} is the one checked door for callers holding a BigInteger.
 *
 * <p>Every call builds a fresh batch: the client keeps a reference to a batch's buffer until the request completes,
 * so a batch must never be reused or mutated while in flight.
 */
public final class TigerBeetleMapping {
  private static final BigInteger U128_LIMIT = BigInteger.ONE.shiftLeft(128);
  private static final com.tigerbeetle.UInt128 LO = com.tigerbeetle.UInt128.LeastSignificant;
  private static final com.tigerbeetle.UInt128 HI = com.tigerbeetle.UInt128.MostSignificant;

  /*
   * AccountBatch's balance setters and its reserved field are package-private in the client: a well-formed create
   * never needs them (they must be zero), but a request that carries nonzero values must reach the cluster as-is so
   * it gets TigerBeetle's own answer (e.g. debits_pending_must_be_zero, in TigerBeetle's precedence).
   */
  private static final MethodHandle SET_DEBITS_PENDING = accountSetter("setDebitsPending");
  private static final MethodHandle SET_DEBITS_POSTED = accountSetter("setDebitsPosted");
  private static final MethodHandle SET_CREDITS_PENDING = accountSetter("setCreditsPending");
  private static final MethodHandle SET_CREDITS_POSTED = accountSetter("setCreditsPosted");
  private static final MethodHandle SET_RESERVED = handle("setReserved", MethodType.methodType(void.class, int.class));
  private static final MethodHandle GET_RESERVED = handle("getReserved", MethodType.methodType(int.class));

  private TigerBeetleMapping() {}

  private static MethodHandle accountSetter(String name) {
    return handle(name, MethodType.methodType(void.class, long.class, long.class));
  }

  private static MethodHandle handle(String name, MethodType type) {
    try {
      return MethodHandles.privateLookupIn(AccountBatch.class, MethodHandles.lookup())
          .findVirtual(AccountBatch.class, name, type);
    } catch (ReflectiveOperationException | SecurityException | IllegalArgumentException e) {
      return null;
    }
  }

  /** A BigInteger as u128, refusing what TigerBeetle's client would silently truncate. */
  public static UInt128 u128(BigInteger value) {
    if (value.signum() < 0 || value.compareTo(U128_LIMIT) >= 0) {
      throw new IllegalArgumentException("not an unsigned 128-bit value: " + value);
    }
    return UInt128.of(value);
  }

  public static byte[] clusterId(UInt128 id) {
    return com.tigerbeetle.UInt128.asBytes(id.lo(), id.hi());
  }

  // ---- accounts ----

  public static AccountBatch accounts(List<Account> accounts) {
    AccountBatch b = new AccountBatch(Math.max(1, accounts.size()));
    for (Account a : accounts) {
      b.add();
      b.setId(a.id().lo(), a.id().hi());
      setHidden(b, SET_DEBITS_PENDING, a.debitsPending(), "debits_pending");
      setHidden(b, SET_DEBITS_POSTED, a.debitsPosted(), "debits_posted");
      setHidden(b, SET_CREDITS_PENDING, a.creditsPending(), "credits_pending");
      setHidden(b, SET_CREDITS_POSTED, a.creditsPosted(), "credits_posted");
      b.setUserData128(a.userData128().lo(), a.userData128().hi());
      b.setUserData64(a.userData64());
      b.setUserData32(a.userData32());
      if (a.reserved() != 0) invoke(SET_RESERVED, "reserved", b, a.reserved());
      b.setLedger(a.ledger());
      b.setCode(a.code());
      b.setFlags(a.flags());
      b.setTimestamp(a.timestamp());
    }
    return b;
  }

  private static void setHidden(AccountBatch b, MethodHandle setter, UInt128 v, String field) {
    if (!v.isZero()) invoke(setter, field, b, v.lo(), v.hi());
  }

  private static void invoke(MethodHandle h, String field, Object... args) {
    if (h == null) {
      throw new IllegalArgumentException("account field " + field + " must be zero at creation, and this "
          + "TigerBeetle client cannot send a nonzero value");
    }
    try {
      h.invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  public static List<Account> accounts(AccountBatch batch) {
    return rows(batch, b -> new Account(UInt128.of(b.getId(LO), b.getId(HI)),
        UInt128.of(b.getDebitsPending(LO), b.getDebitsPending(HI)),
        UInt128.of(b.getDebitsPosted(LO), b.getDebitsPosted(HI)),
        UInt128.of(b.getCreditsPending(LO), b.getCreditsPending(HI)),
        UInt128.of(b.getCreditsPosted(LO), b.getCreditsPosted(HI)),
        UInt128.of(b.getUserData128(LO), b.getUserData128(HI)), b.getUserData64(), b.getUserData32(),
        reserved(b), b.getLedger(), b.getCode(), b.getFlags(), b.getTimestamp()));
  }

  /** One value per row of a batch the client returned. */
  private static <B extends Batch, T> List<T> rows(B b, Function<B, T> row) {
    List<T> out = new ArrayList<>(b.getLength());
    b.beforeFirst();
    while (b.next()) out.add(row.apply(b));
    return out;
  }

  private static int reserved(AccountBatch b) {
    if (GET_RESERVED == null) return 0;
    try {
      return (int) GET_RESERVED.invoke(b);
    } catch (Throwable t) {
      return 0;
    }
  }

  // ---- transfers ----

  public static TransferBatch transfers(List<Transfer> transfers) {
    TransferBatch b = new TransferBatch(Math.max(1, transfers.size()));
    for (Transfer t : transfers) {
      b.add();
      b.setId(t.id().lo(), t.id().hi());
      b.setDebitAccountId(t.debitAccountId().lo(), t.debitAccountId().hi());
      b.setCreditAccountId(t.creditAccountId().lo(), t.creditAccountId().hi());
      b.setAmount(t.amount().lo(), t.amount().hi());
      b.setPendingId(t.pendingId().lo(), t.pendingId().hi());
      b.setUserData128(t.userData128().lo(), t.userData128().hi());
      b.setUserData64(t.userData64());
      b.setUserData32(t.userData32());
      b.setTimeout(t.timeout());
      b.setLedger(t.ledger());
      b.setCode(t.code());
      b.setFlags(t.flags());
      b.setTimestamp(t.timestamp());
    }
    return b;
  }

  public static List<Transfer> transfers(TransferBatch batch) {
    return rows(batch, b -> new Transfer(UInt128.of(b.getId(LO), b.getId(HI)),
        UInt128.of(b.getDebitAccountId(LO), b.getDebitAccountId(HI)),
        UInt128.of(b.getCreditAccountId(LO), b.getCreditAccountId(HI)),
        UInt128.of(b.getAmount(LO), b.getAmount(HI)), UInt128.of(b.getPendingId(LO), b.getPendingId(HI)),
        UInt128.of(b.getUserData128(LO), b.getUserData128(HI)), b.getUserData64(), b.getUserData32(),
        b.getTimeout(), b.getLedger(), b.getCode(), b.getFlags(), b.getTimestamp()));
  }

  // ---- ids, results, balances ----

  public static IdBatch ids(List<UInt128> ids) {
    IdBatch b = new IdBatch(Math.max(1, ids.size()));
    for (UInt128 id : ids) b.add(id.lo(), id.hi());
    return b;
  }

  public static List<CreateAccountsResult> accountResults(CreateAccountResultBatch b) {
    return results(b, CreateAccountResultBatch::getIndex, r -> r.getResult().value, Operation.CREATE_ACCOUNTS);
  }

  public static List<CreateTransfersResult> transferResults(CreateTransferResultBatch b) {
    return results(b, CreateTransferResultBatch::getIndex, r -> r.getResult().value, Operation.CREATE_TRANSFERS);
  }

  /** A create reply's rows as {@code op}'s results: each failed event's index and wire code. */
  private static <B extends Batch, R extends EventResult> List<R> results(B batch, ToIntFunction<B> index,
      ToIntFunction<B> code, Operation<?, R> op) {
    return rows(batch, b -> op.result(index.applyAsInt(b), code.applyAsInt(b)));
  }

  public static List<AccountBalance> balances(AccountBalanceBatch batch) {
    return rows(batch, b -> new AccountBalance(UInt128.of(b.getDebitsPending(LO), b.getDebitsPending(HI)),
        UInt128.of(b.getDebitsPosted(LO), b.getDebitsPosted(HI)),
        UInt128.of(b.getCreditsPending(LO), b.getCreditsPending(HI)),
        UInt128.of(b.getCreditsPosted(LO), b.getCreditsPosted(HI)), b.getTimestamp()));
  }

  // ---- filters ----

  /**
   * The client's filter, or null when the filter is invalid in a way the client cannot express (reserved bytes or
   * unknown flag bits): TigerBeetle answers such a filter with an empty result, and so does the caller.
   */
  public static com.tigerbeetle.AccountFilter accountFilter(AccountFilter f) {
    int known = AccountFilterFlags.DEBITS | AccountFilterFlags.CREDITS | AccountFilterFlags.REVERSED;
    if (f.reservedNonZero() || (f.flags() & ~known) != 0) return null;
    com.tigerbeetle.AccountFilter t = new com.tigerbeetle.AccountFilter();
    t.setAccountId(f.accountId().lo(), f.accountId().hi());
    t.setUserData128(f.userData128().lo(), f.userData128().hi());
    t.setUserData64(f.userData64());
    t.setUserData32(f.userData32());
    t.setCode(f.code());
    t.setTimestampMin(f.timestampMin());
    t.setTimestampMax(f.timestampMax());
    t.setLimit(f.limit());
    t.setDebits((f.flags() & AccountFilterFlags.DEBITS) != 0);
    t.setCredits((f.flags() & AccountFilterFlags.CREDITS) != 0);
    t.setReversed((f.flags() & AccountFilterFlags.REVERSED) != 0);
    return t;
  }

  /** As {@link #accountFilter}: null for a filter only an empty result can answer. */
  public static com.tigerbeetle.QueryFilter queryFilter(QueryFilter f) {
    if (f.reservedNonZero() || (f.flags() & ~QueryFilterFlags.REVERSED) != 0) return null;
    com.tigerbeetle.QueryFilter t = new com.tigerbeetle.QueryFilter();
    t.setUserData128(f.userData128().lo(), f.userData128().hi());
    t.setUserData64(f.userData64());
    t.setUserData32(f.userData32());
    t.setLedger(f.ledger());
    t.setCode(f.code());
    t.setTimestampMin(f.timestampMin());
    t.setTimestampMax(f.timestampMax());
    t.setLimit(f.limit());
    t.setReversed((f.flags() & QueryFilterFlags.REVERSED) != 0);
    return t;
  }
}
