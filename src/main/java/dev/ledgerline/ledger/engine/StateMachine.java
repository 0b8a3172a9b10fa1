package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Fields.*;

import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.QueryFilterFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * TigerBeetle 0.16.30's state machine, deterministic and single-threaded: whole batches in with their prepare
 * timestamp, failures out. The same batches with the same timestamps always give the same state.
 *
 * <p>Storage is compact and primitive: accounts and transfers are kept as 16 longs each, which is exactly their
 * 128-byte little-endian wire layout read as longs; ids are found through {@link IdIndex}; each account has an int
 * list of its transfers (append order = timestamp order) and, with the history flag, a parallel list of balances.
 * Linked chains are rolled back with an undo log that is only written inside a chain.
 */
public final class StateMachine {

  static final byte STATUS_NONE = 0;
  static final byte STATUS_PENDING = 1;
  static final byte STATUS_POSTED = 2;
  static final byte STATUS_VOIDED = 3;
  static final byte STATUS_EXPIRED = 4;

  static final long NS_PER_S = 1_000_000_000L;
  static final long TIMESTAMP_MAX = Long.MAX_VALUE; // u63

  private static final int CHUNK_SHIFT = 16;
  private static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
  private static final int CHUNK_MASK = CHUNK_SIZE - 1;

  // Result codes as ints (hot path).
  private static final int T_OK = 0;
  private static final int LINKED_EVENT_FAILED = 1;
  private static final int LINKED_EVENT_CHAIN_OPEN = 2;
  private static final int TIMESTAMP_MUST_BE_ZERO = 3;
  private static final boolean[] TRANSIENT = new boolean[CreateTransferResult.values().length];

  static {
    for (CreateTransferResult r : CreateTransferResult.values()) TRANSIENT[r.code()] = r.isTransient();
  }

  private static int tr(CreateTransferResult r) {
    return r.code();
  }

  private static int ar(CreateAccountResult r) {
    return r.code();
  }

  // ---- accounts ----
  long[] acc = new long[16 * 1024];
  int accountCount;
  AccountLists lists = new AccountLists(1024);
  long[][] accHistory = new long[1024][]; // 8 longs per entry, parallel to accTransfers (history accounts only)
  final BitSet setupTouched = new BitSet();

  final IdIndex accountIndex = new IdIndex(1024) {
    @Override
    boolean keyEquals(int index, long lo, long hi) {
      int b = index << 4;
      return acc[b] == lo && acc[b + 1] == hi;
    }
  };

  // ---- transfers ----
  long[][] chunks = new long[16][];
  byte[][] statusChunks = new byte[16][];
  int transferCount;

  final IdIndex transferIndex;

  // ---- ids that failed with a transient error ----
  final U128Set orphans = new U128Set();

  // ---- pending expiry: binary heap ordered by (expires_at, timestamp), lazily invalidated ----
  private long[] heapAt = new long[64];
  private long[] heapTs = new long[64];
  private int[] heapIdx = new int[64];
  private int heapSize;

  // ---- undo log (linked chains only) ----
  private boolean inScope;
  private long[] undo = new long[1024];
  private int undoLen;
  private static final long U_ACCOUNT_SAVE = 1;
  private static final long U_TRANSFER_INSERT = 2;
  private static final long U_STATUS = 3;
  private static final long U_ACCOUNT_INSERT = 4;

  /** Timestamp of the last executed state-changing request (create batch or pulse). */
  long commitTimestamp;

  /**
   * The highest fencing epoch recorded ({@link LedgerEngine#fence}). It changes no account or transfer and is not
   * part of the canonical state bytes; snapshots keep it in their header.
   */
  long fenceEpoch;

  // ---- the event being executed ----
  private long eIdLo, eIdHi, eDrLo, eDrHi, eCrLo, eCrHi, eAmtLo, eAmtHi, ePidLo, ePidHi, eU128Lo, eU128Hi, eU64;
  private int eU32, eTimeout, eLedger, eCode, eFlags;

  public StateMachine() {
    this(1024);
  }

  public StateMachine(int expectedTransfers) {
    transferIndex = new IdIndex(Math.max(1024, expectedTransfers)) {
      @Override
      boolean keyEquals(int index, long lo, long hi) {
        long[] c = chunks[index >>> CHUNK_SHIFT];
        int b = (index & CHUNK_MASK) << 4;
        return c[b] == lo && c[b + 1] == hi;
      }
    };
  }

  // =====================================================================================================
  // Batches
  // =====================================================================================================

  /** Collects the failures of one batch (index, code), ascending. */
  public static final class Results {
    int[] index = new int[64];
    int[] code = new int[64];
    int count;

    void reset() {
      count = 0;
    }

    void add(int i, int c) {
      if (count == index.length) {
        index = Arrays.copyOf(index, count * 2);
        code = Arrays.copyOf(code, count * 2);
      }
      index[count] = i;
      code[count] = c;
      count++;
    }

    public int count() {
      return count;
    }

    public int index(int i) {
      return index[i];
    }

    public int code(int i) {
      return code[i];
    }
  }

  /** Executes a create_accounts batch of {@code n} 128-byte events (little-endian buffer) at prepare timestamp T. */
  public void createAccounts(ByteBuffer events, int base, int n, long prepareTimestamp, Results out) {
    execute(false, events, base, n, prepareTimestamp, out);
  }

  public void createTransfers(ByteBuffer events, int base, int n, long prepareTimestamp, Results out) {
    execute(true, events, base, n, prepareTimestamp, out);
  }

  /** Keeps the prefetch loop from being optimised away. */
  long prefetchSink;

  private static final int PREFETCH = 256;

  /**
   * Touches the id-index slots of the next events before executing them: independent loads in a tight loop let
   * their cache misses overlap, where the dependent lookups during execution would wait for each in turn.
   */
  private void prefetch(ByteBuffer ev, int off, int count) {
    long sink = 0;
    for (int k = 0; k < count; k++) {
      int o = off + k * 128;
      sink += transferIndex.touch(ev.getLong(o), ev.getLong(o + 8));
    }
    prefetchSink += sink;
  }

  private void execute(boolean transfers, ByteBuffer ev, int base, int n, long t, Results out) {
    if (ev.order() != ByteOrder.LITTLE_ENDIAN) throw new IllegalArgumentException("events must be little-endian");
    if (n > LedgerBackend.BATCH_MAX) throw new IllegalArgumentException("batch too large: " + n);
    out.reset();
    commitTimestamp = t;
    if (n == 0) return;
    final int importedFlag = transfers ? TransferFlags.IMPORTED : AccountFlags.IMPORTED;
    final int notExpected = transfers ? tr(CreateTransferResult.IMPORTED_EVENT_NOT_EXPECTED)
        : ar(CreateAccountResult.IMPORTED_EVENT_NOT_EXPECTED);
    final int expected = transfers ? tr(CreateTransferResult.IMPORTED_EVENT_EXPECTED)
        : ar(CreateAccountResult.IMPORTED_EVENT_EXPECTED);
    final int outOfRange = transfers ? tr(CreateTransferResult.IMPORTED_EVENT_TIMESTAMP_OUT_OF_RANGE)
        : ar(CreateAccountResult.IMPORTED_EVENT_TIMESTAMP_OUT_OF_RANGE);
    final int mustNotAdvance = transfers ? tr(CreateTransferResult.IMPORTED_EVENT_TIMESTAMP_MUST_NOT_ADVANCE)
        : ar(CreateAccountResult.IMPORTED_EVENT_TIMESTAMP_MUST_NOT_ADVANCE);
    final boolean firstImported = (flagsAt(ev, base) & importedFlag) != 0;
    int chainStart = -1;
    boolean chainBroken = false;
    for (int i = 0; i < n; i++) {
      final int off = base + i * 128;
      if (transfers && (i & (PREFETCH - 1)) == 0) prefetch(ev, off, Math.min(PREFETCH, n - i));
      final int flags = flagsAt(ev, off);
      final boolean linked = (flags & 1) != 0;
      int r;
      evaluate:
      {
        if (linked) {
          if (chainStart < 0) {
            chainStart = i;
            scopeOpen();
          }
          if (i == n - 1) {
            r = LINKED_EVENT_CHAIN_OPEN;
            break evaluate;
          }
        }
        if (chainBroken) {
          r = LINKED_EVENT_FAILED;
          break evaluate;
        }
        final boolean imported = (flags & importedFlag) != 0;
        if (imported != firstImported) {
          r = imported ? notExpected : expected;
          break evaluate;
        }
        final long eventTs = ev.getLong(off + 120);
        final long ts;
        if (imported) {
          if (eventTs < 1) { // 0, or above 2^63-1 (negative as signed)
            r = outOfRange;
            break evaluate;
          }
          if (Long.compareUnsigned(eventTs, t) >= 0) {
            r = mustNotAdvance;
            break evaluate;
          }
          ts = eventTs;
        } else {
          if (eventTs != 0) {
            r = TIMESTAMP_MUST_BE_ZERO;
            break evaluate;
          }
          ts = t - n + i + 1;
        }
        r = transfers ? createTransfer(ev, off, ts) : createAccount(ev, off, ts);
      }
      if (r != T_OK) {
        if (chainStart >= 0 && !chainBroken) {
          chainBroken = true;
          scopeDiscard();
          for (int c = chainStart; c < i; c++) out.add(c, LINKED_EVENT_FAILED);
        }
        out.add(i, r);
        if (transfers && TRANSIENT[r]) orphans.add(ev.getLong(off), ev.getLong(off + 8));
      }
      if (chainStart >= 0 && (!linked || r == LINKED_EVENT_CHAIN_OPEN)) {
        if (!chainBroken) scopePersist();
        chainStart = -1;
        chainBroken = false;
      }
    }
  }

  private static int flagsAt(ByteBuffer ev, int off) {
    return ev.getShort(off + 118) & 0xFFFF;
  }

  // =====================================================================================================
  // create_account
  // =====================================================================================================

  private int createAccount(ByteBuffer ev, int off, long ts) {
    final long idLo = ev.getLong(off);
    final long idHi = ev.getLong(off + 8);
    final long udRes = ev.getLong(off + 104);
    final int reserved = (int) (udRes >>> 32);
    final long lcf = ev.getLong(off + 112);
    final int ledger = (int) lcf;
    final int code = (int) (lcf >>> 32) & 0xFFFF;
    final int flags = (int) (lcf >>> 48) & 0xFFFF;
    if (reserved != 0) return ar(CreateAccountResult.RESERVED_FIELD);
    if ((flags & AccountFlags.PADDING_MASK) != 0) return ar(CreateAccountResult.RESERVED_FLAG);
    if (idLo == 0 && idHi == 0) return ar(CreateAccountResult.ID_MUST_NOT_BE_ZERO);
    if (idLo == -1 && idHi == -1) return ar(CreateAccountResult.ID_MUST_NOT_BE_INT_MAX);
    final int e = accountIndex.find(idLo, idHi);
    if (e >= 0) {
      final int b = e << 4;
      final long elcf = acc[b + LEDGER_CODE_FLAGS];
      if (((int) (elcf >>> 48) & 0xFFFF) != flags) return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_FLAGS);
      if (acc[b + USER_DATA_128] != ev.getLong(off + 80) || acc[b + USER_DATA_128 + 1] != ev.getLong(off + 88)) {
        return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_USER_DATA_128);
      }
      if (acc[b + USER_DATA_64] != ev.getLong(off + 96)) return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_USER_DATA_64);
      if ((int) acc[b + USER_DATA_32] != (int) udRes) return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_USER_DATA_32);
      if ((int) elcf != ledger) return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_LEDGER);
      if (((int) (elcf >>> 32) & 0xFFFF) != code) return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_CODE);
      return ar(CreateAccountResult.EXISTS);
    }
    if ((flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS) != 0
        && (flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS) != 0) {
      return ar(CreateAccountResult.FLAGS_ARE_MUTUALLY_EXCLUSIVE);
    }
    if ((ev.getLong(off + 16) | ev.getLong(off + 24)) != 0) return ar(CreateAccountResult.DEBITS_PENDING_MUST_BE_ZERO);
    if ((ev.getLong(off + 32) | ev.getLong(off + 40)) != 0) return ar(CreateAccountResult.DEBITS_POSTED_MUST_BE_ZERO);
    if ((ev.getLong(off + 48) | ev.getLong(off + 56)) != 0) {
      return ar(CreateAccountResult.CREDITS_PENDING_MUST_BE_ZERO);
    }
    if ((ev.getLong(off + 64) | ev.getLong(off + 72)) != 0) return ar(CreateAccountResult.CREDITS_POSTED_MUST_BE_ZERO);
    if (ledger == 0) return ar(CreateAccountResult.LEDGER_MUST_NOT_BE_ZERO);
    if (code == 0) return ar(CreateAccountResult.CODE_MUST_NOT_BE_ZERO);
    if ((flags & AccountFlags.IMPORTED) != 0) {
      if ((accountCount > 0 && Long.compareUnsigned(ts, acc[((accountCount - 1) << 4) + TIMESTAMP]) <= 0)
          || transferByTimestamp(ts) >= 0) {
        return ar(CreateAccountResult.IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS);
      }
    }
    insertAccount(ev, off, ts);
    return T_OK;
  }

  private void insertAccount(ByteBuffer ev, int off, long ts) {
    final int a = accountCount;
    if ((a + 1) << 4 > acc.length) {
      acc = Arrays.copyOf(acc, acc.length * 2);
    }
    lists.ensureAccounts(a + 1);
    if (a >= accHistory.length) accHistory = Arrays.copyOf(accHistory, accHistory.length * 2);
    final int b = a << 4;
    for (int k = 0; k < 15; k++) acc[b + k] = ev.getLong(off + k * 8);
    acc[b + TIMESTAMP] = ts;
    lists.reset(a);
    accHistory[a] = null;
    accountCount = a + 1;
    accountIndex.insert(acc[b], acc[b + 1], a);
    if (inScope) pushUndo(a, U_ACCOUNT_INSERT);
  }

  // =====================================================================================================
  // create_transfer
  // =====================================================================================================

  private void loadTransfer(ByteBuffer ev, int off) {
    eIdLo = ev.getLong(off);
    eIdHi = ev.getLong(off + 8);
    eDrLo = ev.getLong(off + 16);
    eDrHi = ev.getLong(off + 24);
    eCrLo = ev.getLong(off + 32);
    eCrHi = ev.getLong(off + 40);
    eAmtLo = ev.getLong(off + 48);
    eAmtHi = ev.getLong(off + 56);
    ePidLo = ev.getLong(off + 64);
    ePidHi = ev.getLong(off + 72);
    eU128Lo = ev.getLong(off + 80);
    eU128Hi = ev.getLong(off + 88);
    eU64 = ev.getLong(off + 96);
    final long u32to = ev.getLong(off + 104);
    eU32 = (int) u32to;
    eTimeout = (int) (u32to >>> 32);
    final long lcf = ev.getLong(off + 112);
    eLedger = (int) lcf;
    eCode = (int) (lcf >>> 32) & 0xFFFF;
    eFlags = (int) (lcf >>> 48) & 0xFFFF;
  }

  private int createTransfer(ByteBuffer ev, int off, long ts) {
    loadTransfer(ev, off);
    final int flags = eFlags;
    if ((flags & TransferFlags.PADDING_MASK) != 0) return tr(CreateTransferResult.RESERVED_FLAG);
    if (eIdLo == 0 && eIdHi == 0) return tr(CreateTransferResult.ID_MUST_NOT_BE_ZERO);
    if (eIdLo == -1 && eIdHi == -1) return tr(CreateTransferResult.ID_MUST_NOT_BE_INT_MAX);
    final int e = transferIndex.find(eIdLo, eIdHi);
    if (e >= 0) return transferExists(e);
    if (orphans.size() > 0 && orphans.contains(eIdLo, eIdHi)) return tr(CreateTransferResult.ID_ALREADY_FAILED);
    if ((flags & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)) != 0) {
      return postOrVoid(ts);
    }
    if (eDrLo == 0 && eDrHi == 0) return tr(CreateTransferResult.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO);
    if (eDrLo == -1 && eDrHi == -1) return tr(CreateTransferResult.DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX);
    if (eCrLo == 0 && eCrHi == 0) return tr(CreateTransferResult.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO);
    if (eCrLo == -1 && eCrHi == -1) return tr(CreateTransferResult.CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX);
    if (eDrLo == eCrLo && eDrHi == eCrHi) return tr(CreateTransferResult.ACCOUNTS_MUST_BE_DIFFERENT);
    if ((ePidLo | ePidHi) != 0) return tr(CreateTransferResult.PENDING_ID_MUST_BE_ZERO);
    final boolean pending = (flags & TransferFlags.PENDING) != 0;
    if (!pending) {
      if (eTimeout != 0) return tr(CreateTransferResult.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER);
      if ((flags & (TransferFlags.CLOSING_DEBIT | TransferFlags.CLOSING_CREDIT)) != 0) {
        return tr(CreateTransferResult.CLOSING_TRANSFER_MUST_BE_PENDING);
      }
    }
    if (eLedger == 0) return tr(CreateTransferResult.LEDGER_MUST_NOT_BE_ZERO);
    if (eCode == 0) return tr(CreateTransferResult.CODE_MUST_NOT_BE_ZERO);
    final int dra = accountIndex.find(eDrLo, eDrHi);
    if (dra < 0) return tr(CreateTransferResult.DEBIT_ACCOUNT_NOT_FOUND);
    final int cra = accountIndex.find(eCrLo, eCrHi);
    if (cra < 0) return tr(CreateTransferResult.CREDIT_ACCOUNT_NOT_FOUND);
    final long[] a = acc;
    final int db = dra << 4;
    final int cb = cra << 4;
    if ((int) a[db + LEDGER_CODE_FLAGS] != (int) a[cb + LEDGER_CODE_FLAGS]) return tr(CreateTransferResult.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER);
    if (eLedger != (int) a[db + LEDGER_CODE_FLAGS]) return tr(CreateTransferResult.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS);
    if ((flags & TransferFlags.IMPORTED) != 0) {
      if (importedTransferRegresses(ts)) return tr(CreateTransferResult.IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS);
      if (Long.compareUnsigned(ts, a[db + TIMESTAMP]) <= 0) {
        return tr(CreateTransferResult.IMPORTED_EVENT_TIMESTAMP_MUST_POSTDATE_DEBIT_ACCOUNT);
      }
      if (Long.compareUnsigned(ts, a[cb + TIMESTAMP]) <= 0) {
        return tr(CreateTransferResult.IMPORTED_EVENT_TIMESTAMP_MUST_POSTDATE_CREDIT_ACCOUNT);
      }
      if (eTimeout != 0) return tr(CreateTransferResult.IMPORTED_EVENT_TIMEOUT_MUST_BE_ZERO);
    }
    if (accountFlags(db) != 0 && (accountFlags(db) & AccountFlags.CLOSED) != 0) {
      return tr(CreateTransferResult.DEBIT_ACCOUNT_ALREADY_CLOSED);
    }
    if ((accountFlags(cb) & AccountFlags.CLOSED) != 0) return tr(CreateTransferResult.CREDIT_ACCOUNT_ALREADY_CLOSED);

    long amtLo = eAmtLo;
    long amtHi = eAmtHi;
    if ((flags & TransferFlags.BALANCING_DEBIT) != 0) {
      // min(amount, dr.credits_posted -| (dr.debits_posted + dr.debits_pending))
      final long sLo = U128.saturatingSumLo(a[db + DEBITS_POSTED], a[db + DEBITS_POSTED + 1], a[db + DEBITS_PENDING], a[db + DEBITS_PENDING + 1]);
      final long sHi = U128.saturatingSumHi(a[db + DEBITS_POSTED], a[db + DEBITS_POSTED + 1], a[db + DEBITS_PENDING], a[db + DEBITS_PENDING + 1]);
      final long bLo = U128.saturatingDifferenceLo(a[db + CREDITS_POSTED], a[db + CREDITS_POSTED + 1], sLo, sHi);
      final long bHi = U128.saturatingDifferenceHi(a[db + CREDITS_POSTED], a[db + CREDITS_POSTED + 1], sLo, sHi);
      if (U128.compare(bLo, bHi, amtLo, amtHi) < 0) {
        amtLo = bLo;
        amtHi = bHi;
      }
    }
    if ((flags & TransferFlags.BALANCING_CREDIT) != 0) {
      // min(amount, cr.debits_posted -| (cr.credits_posted + cr.credits_pending))
      final long sLo = U128.saturatingSumLo(a[cb + CREDITS_POSTED], a[cb + CREDITS_POSTED + 1], a[cb + CREDITS_PENDING], a[cb + CREDITS_PENDING + 1]);
      final long sHi = U128.saturatingSumHi(a[cb + CREDITS_POSTED], a[cb + CREDITS_POSTED + 1], a[cb + CREDITS_PENDING], a[cb + CREDITS_PENDING + 1]);
      final long bLo = U128.saturatingDifferenceLo(a[cb + DEBITS_POSTED], a[cb + DEBITS_POSTED + 1], sLo, sHi);
      final long bHi = U128.saturatingDifferenceHi(a[cb + DEBITS_POSTED], a[cb + DEBITS_POSTED + 1], sLo, sHi);
      if (U128.compare(bLo, bHi, amtLo, amtHi) < 0) {
        amtLo = bLo;
        amtHi = bHi;
      }
    }
    if (pending) {
      if (U128.sumOverflows(amtLo, amtHi, a[db + DEBITS_PENDING], a[db + DEBITS_PENDING + 1])) {
        return tr(CreateTransferResult.OVERFLOWS_DEBITS_PENDING);
      }
      if (U128.sumOverflows(amtLo, amtHi, a[cb + CREDITS_PENDING], a[cb + CREDITS_PENDING + 1])) {
        return tr(CreateTransferResult.OVERFLOWS_CREDITS_PENDING);
      }
    }
    if (U128.sumOverflows(amtLo, amtHi, a[db + DEBITS_POSTED], a[db + DEBITS_POSTED + 1])) {
      return tr(CreateTransferResult.OVERFLOWS_DEBITS_POSTED);
    }
    if (U128.sumOverflows(amtLo, amtHi, a[cb + CREDITS_POSTED], a[cb + CREDITS_POSTED + 1])) {
      return tr(CreateTransferResult.OVERFLOWS_CREDITS_POSTED);
    }
    // debits = debits_pending + debits_posted (saturating: only setup_balances can make it overflow)
    final long dLo = U128.saturatingSumLo(a[db + DEBITS_PENDING], a[db + DEBITS_PENDING + 1], a[db + DEBITS_POSTED], a[db + DEBITS_POSTED + 1]);
    final long dHi = U128.saturatingSumHi(a[db + DEBITS_PENDING], a[db + DEBITS_PENDING + 1], a[db + DEBITS_POSTED], a[db + DEBITS_POSTED + 1]);
    if (U128.sumOverflows(amtLo, amtHi, dLo, dHi)) return tr(CreateTransferResult.OVERFLOWS_DEBITS);
    final long cLo = U128.saturatingSumLo(a[cb + CREDITS_PENDING], a[cb + CREDITS_PENDING + 1], a[cb + CREDITS_POSTED], a[cb + CREDITS_POSTED + 1]);
    final long cHi = U128.saturatingSumHi(a[cb + CREDITS_PENDING], a[cb + CREDITS_PENDING + 1], a[cb + CREDITS_POSTED], a[cb + CREDITS_POSTED + 1]);
    if (U128.sumOverflows(amtLo, amtHi, cLo, cHi)) return tr(CreateTransferResult.OVERFLOWS_CREDITS);
    final long timeoutNs = (eTimeout & 0xFFFF_FFFFL) * NS_PER_S;
    if (timeoutNs > TIMESTAMP_MAX - ts) return tr(CreateTransferResult.OVERFLOWS_TIMEOUT);
    if ((accountFlags(db) & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS) != 0) {
      // debits_pending + debits_posted + amount > credits_posted (no overflow: checked above)
      long xLo = dLo + amtLo;
      long xHi = dHi + amtHi + (Long.compareUnsigned(xLo, dLo) < 0 ? 1 : 0);
      if (U128.compare(xLo, xHi, a[db + CREDITS_POSTED], a[db + CREDITS_POSTED + 1]) > 0) return tr(CreateTransferResult.EXCEEDS_CREDITS);
    }
    if ((accountFlags(cb) & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS) != 0) {
      long xLo = cLo + amtLo;
      long xHi = cHi + amtHi + (Long.compareUnsigned(xLo, cLo) < 0 ? 1 : 0);
      if (U128.compare(xLo, xHi, a[cb + DEBITS_POSTED], a[cb + DEBITS_POSTED + 1]) > 0) return tr(CreateTransferResult.EXCEEDS_DEBITS);
    }

    // ---- success ----
    if (inScope) {
      saveAccount(dra);
      saveAccount(cra);
    }
    final int idx = appendTransfer(eIdLo, eIdHi, eDrLo, eDrHi, eCrLo, eCrHi, amtLo, amtHi, 0, 0, eU128Lo, eU128Hi,
        eU64, (eU32 & 0xFFFF_FFFFL) | ((long) eTimeout << 32), lcf(eLedger, eCode, flags), ts);
    final long[] acct = acc;
    if (pending) {
      U128.addTo(acct, db + DEBITS_PENDING, amtLo, amtHi);
      U128.addTo(acct, cb + CREDITS_PENDING, amtLo, amtHi);
      setStatus(idx, STATUS_PENDING);
    } else {
      U128.addTo(acct, db + DEBITS_POSTED, amtLo, amtHi);
      U128.addTo(acct, cb + CREDITS_POSTED, amtLo, amtHi);
    }
    if ((flags & TransferFlags.CLOSING_DEBIT) != 0) setAccountFlag(db, AccountFlags.CLOSED, true);
    if ((flags & TransferFlags.CLOSING_CREDIT) != 0) setAccountFlag(cb, AccountFlags.CLOSED, true);
    indexTransfer(idx, dra, cra);
    if (timeoutNs > 0) heapPush(ts + timeoutNs, ts, idx);
    return T_OK;
  }

  private int transferExists(int e) {
    final long[] c = chunks[e >>> CHUNK_SHIFT];
    final int b = (e & CHUNK_MASK) << 4;
    final long elcf = c[b + LEDGER_CODE_FLAGS];
    final int eflags = (int) (elcf >>> 48) & 0xFFFF;
    if (eflags != eFlags) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_FLAGS);
    if (c[b + PENDING_ID] != ePidLo || c[b + PENDING_ID + 1] != ePidHi) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_PENDING_ID);
    }
    if ((int) (c[b + USER_DATA_32] >>> 32) != eTimeout) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_TIMEOUT);
    if ((eFlags & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)) != 0) {
      return postOrVoidExists(c, b);
    }
    if (c[b + DEBIT_ACCOUNT_ID] != eDrLo || c[b + DEBIT_ACCOUNT_ID + 1] != eDrHi) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID);
    }
    if (c[b + CREDIT_ACCOUNT_ID] != eCrLo || c[b + CREDIT_ACCOUNT_ID + 1] != eCrHi) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID);
    }
    if ((eFlags & (TransferFlags.BALANCING_DEBIT | TransferFlags.BALANCING_CREDIT)) != 0) {
      if (U128.compare(eAmtLo, eAmtHi, c[b + AMOUNT], c[b + AMOUNT + 1]) < 0) {
        return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_AMOUNT);
      }
    } else if (c[b + AMOUNT] != eAmtLo || c[b + AMOUNT + 1] != eAmtHi) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_AMOUNT);
    }
    if (c[b + USER_DATA_128] != eU128Lo || c[b + USER_DATA_128 + 1] != eU128Hi) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_128);
    }
    if (c[b + USER_DATA_64] != eU64) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_64);
    if ((int) c[b + USER_DATA_32] != eU32) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_32);
    if ((int) elcf != eLedger) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_LEDGER);
    if (((int) (elcf >>> 32) & 0xFFFF) != eCode) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_CODE);
    return tr(CreateTransferResult.EXISTS);
  }

  private int postOrVoidExists(long[] c, int b) {
    final int p = transferIndex.find(c[b + PENDING_ID], c[b + PENDING_ID + 1]);
    final long[] pc = chunks[p >>> CHUNK_SHIFT];
    final int pb = (p & CHUNK_MASK) << 4;
    if ((eDrLo | eDrHi) != 0 && (c[b + DEBIT_ACCOUNT_ID] != eDrLo || c[b + DEBIT_ACCOUNT_ID + 1] != eDrHi)) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID);
    }
    if ((eCrLo | eCrHi) != 0 && (c[b + CREDIT_ACCOUNT_ID] != eCrLo || c[b + CREDIT_ACCOUNT_ID + 1] != eCrHi)) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID);
    }
    final boolean isVoid = (eFlags & TransferFlags.VOID_PENDING_TRANSFER) != 0;
    final boolean useFull = isVoid ? (eAmtLo | eAmtHi) == 0 : (eAmtLo == -1 && eAmtHi == -1);
    if (useFull) {
      if (c[b + AMOUNT] != pc[pb + AMOUNT] || c[b + AMOUNT + 1] != pc[pb + AMOUNT + 1]) {
        return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_AMOUNT);
      }
    } else if (c[b + AMOUNT] != eAmtLo || c[b + AMOUNT + 1] != eAmtHi) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_AMOUNT);
    }
    if ((eU128Lo | eU128Hi) == 0) {
      if (c[b + USER_DATA_128] != pc[pb + USER_DATA_128] || c[b + USER_DATA_128 + 1] != pc[pb + USER_DATA_128 + 1]) {
        return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_128);
      }
    } else if (c[b + USER_DATA_128] != eU128Lo || c[b + USER_DATA_128 + 1] != eU128Hi) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_128);
    }
    if (eU64 == 0) {
      if (c[b + USER_DATA_64] != pc[pb + USER_DATA_64]) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_64);
    } else if (c[b + USER_DATA_64] != eU64) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_64);
    }
    if (eU32 == 0) {
      if ((int) c[b + USER_DATA_32] != (int) pc[pb + USER_DATA_32]) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_32);
    } else if ((int) c[b + USER_DATA_32] != eU32) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_USER_DATA_32);
    }
    if (eLedger != 0 && (int) c[b + LEDGER_CODE_FLAGS] != eLedger) return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_LEDGER);
    if (eCode != 0 && ((int) (c[b + LEDGER_CODE_FLAGS] >>> 32) & 0xFFFF) != eCode) {
      return tr(CreateTransferResult.EXISTS_WITH_DIFFERENT_CODE);
    }
    return tr(CreateTransferResult.EXISTS);
  }

  private int postOrVoid(long ts) {
    final int flags = eFlags;
    final boolean isPost = (flags & TransferFlags.POST_PENDING_TRANSFER) != 0;
    final boolean isVoid = (flags & TransferFlags.VOID_PENDING_TRANSFER) != 0;
    if ((isPost && isVoid) || (flags & (TransferFlags.PENDING | TransferFlags.BALANCING_DEBIT
        | TransferFlags.BALANCING_CREDIT | TransferFlags.CLOSING_DEBIT | TransferFlags.CLOSING_CREDIT)) != 0) {
      return tr(CreateTransferResult.FLAGS_ARE_MUTUALLY_EXCLUSIVE);
    }
    if ((ePidLo | ePidHi) == 0) return tr(CreateTransferResult.PENDING_ID_MUST_NOT_BE_ZERO);
    if (ePidLo == -1 && ePidHi == -1) return tr(CreateTransferResult.PENDING_ID_MUST_NOT_BE_INT_MAX);
    if (ePidLo == eIdLo && ePidHi == eIdHi) return tr(CreateTransferResult.PENDING_ID_MUST_BE_DIFFERENT);
    if (eTimeout != 0) return tr(CreateTransferResult.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER);
    final int p = transferIndex.find(ePidLo, ePidHi);
    if (p < 0) return tr(CreateTransferResult.PENDING_TRANSFER_NOT_FOUND);
    final long[] pc = chunks[p >>> CHUNK_SHIFT];
    final int pb = (p & CHUNK_MASK) << 4;
    final long plcf = pc[pb + LEDGER_CODE_FLAGS];
    final int pflags = (int) (plcf >>> 48) & 0xFFFF;
    if ((pflags & TransferFlags.PENDING) == 0) return tr(CreateTransferResult.PENDING_TRANSFER_NOT_PENDING);
    final int dra = accountIndex.find(pc[pb + DEBIT_ACCOUNT_ID], pc[pb + DEBIT_ACCOUNT_ID + 1]);
    final int cra = accountIndex.find(pc[pb + CREDIT_ACCOUNT_ID], pc[pb + CREDIT_ACCOUNT_ID + 1]);
    if ((eDrLo | eDrHi) != 0 && (eDrLo != pc[pb + DEBIT_ACCOUNT_ID] || eDrHi != pc[pb + DEBIT_ACCOUNT_ID + 1])) {
      return tr(CreateTransferResult.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID);
    }
    if ((eCrLo | eCrHi) != 0 && (eCrLo != pc[pb + CREDIT_ACCOUNT_ID] || eCrHi != pc[pb + CREDIT_ACCOUNT_ID + 1])) {
      return tr(CreateTransferResult.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID);
    }
    if (eLedger != 0 && eLedger != (int) plcf) return tr(CreateTransferResult.PENDING_TRANSFER_HAS_DIFFERENT_LEDGER);
    if (eCode != 0 && eCode != ((int) (plcf >>> 32) & 0xFFFF)) {
      return tr(CreateTransferResult.PENDING_TRANSFER_HAS_DIFFERENT_CODE);
    }
    final long pAmtLo = pc[pb + AMOUNT];
    final long pAmtHi = pc[pb + AMOUNT + 1];
    long amtLo;
    long amtHi;
    if (isVoid) {
      boolean zero = (eAmtLo | eAmtHi) == 0;
      amtLo = zero ? pAmtLo : eAmtLo;
      amtHi = zero ? pAmtHi : eAmtHi;
    } else {
      boolean full = eAmtLo == -1 && eAmtHi == -1;
      amtLo = full ? pAmtLo : eAmtLo;
      amtHi = full ? pAmtHi : eAmtHi;
    }
    if (U128.compare(amtLo, amtHi, pAmtLo, pAmtHi) > 0) return tr(CreateTransferResult.EXCEEDS_PENDING_TRANSFER_AMOUNT);
    if (isVoid && U128.compare(amtLo, amtHi, pAmtLo, pAmtHi) < 0) {
      return tr(CreateTransferResult.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT);
    }
    final byte status = status(p);
    if (status == STATUS_POSTED) return tr(CreateTransferResult.PENDING_TRANSFER_ALREADY_POSTED);
    if (status == STATUS_VOIDED) return tr(CreateTransferResult.PENDING_TRANSFER_ALREADY_VOIDED);
    if (status == STATUS_EXPIRED) return tr(CreateTransferResult.PENDING_TRANSFER_EXPIRED);
    final long pTimeout = (pc[pb + USER_DATA_32] >>> 32) & 0xFFFF_FFFFL;
    if (pTimeout > 0 && Long.compareUnsigned(pc[pb + TIMESTAMP] + pTimeout * NS_PER_S, ts) <= 0) {
      return tr(CreateTransferResult.PENDING_TRANSFER_EXPIRED);
    }
    if ((flags & TransferFlags.IMPORTED) != 0 && importedTransferRegresses(ts)) {
      return tr(CreateTransferResult.IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS);
    }
    final int db = dra << 4;
    final int cb = cra << 4;
    if (!isVoid && (accountFlags(db) & AccountFlags.CLOSED) != 0) {
      return tr(CreateTransferResult.DEBIT_ACCOUNT_ALREADY_CLOSED);
    }
    if (!isVoid && (accountFlags(cb) & AccountFlags.CLOSED) != 0) {
      return tr(CreateTransferResult.CREDIT_ACCOUNT_ALREADY_CLOSED);
    }

    // ---- success ----
    if (inScope) {
      saveAccount(dra);
      saveAccount(cra);
      pushUndo2(p, status, U_STATUS);
    }
    final long u128Lo = (eU128Lo | eU128Hi) != 0 ? eU128Lo : pc[pb + USER_DATA_128];
    final long u128Hi = (eU128Lo | eU128Hi) != 0 ? eU128Hi : pc[pb + USER_DATA_128 + 1];
    final long u64 = eU64 != 0 ? eU64 : pc[pb + USER_DATA_64];
    final int u32 = eU32 != 0 ? eU32 : (int) pc[pb + USER_DATA_32];
    final int idx = appendTransfer(eIdLo, eIdHi, pc[pb + DEBIT_ACCOUNT_ID], pc[pb + DEBIT_ACCOUNT_ID + 1], pc[pb + CREDIT_ACCOUNT_ID], pc[pb + CREDIT_ACCOUNT_ID + 1],
        amtLo, amtHi, ePidLo, ePidHi, u128Lo, u128Hi, u64, u32 & 0xFFFF_FFFFL,
        lcf((int) plcf, (int) (plcf >>> 32) & 0xFFFF, flags), ts);
    setStatus(p, isPost ? STATUS_POSTED : STATUS_VOIDED);
    final long[] a = acc;
    U128.subtractFrom(a, db + DEBITS_PENDING, pAmtLo, pAmtHi);
    U128.subtractFrom(a, cb + CREDITS_PENDING, pAmtLo, pAmtHi);
    if (isPost) {
      U128.addTo(a, db + DEBITS_POSTED, amtLo, amtHi);
      U128.addTo(a, cb + CREDITS_POSTED, amtLo, amtHi);
    } else {
      if ((pflags & TransferFlags.CLOSING_DEBIT) != 0) setAccountFlag(db, AccountFlags.CLOSED, false);
      if ((pflags & TransferFlags.CLOSING_CREDIT) != 0) setAccountFlag(cb, AccountFlags.CLOSED, false);
    }
    indexTransfer(idx, dra, cra);
    return T_OK;
  }

  private boolean importedTransferRegresses(long ts) {
    if (transferCount > 0 && Long.compareUnsigned(ts, transferTimestamp(transferCount - 1)) <= 0) return true;
    return accountByTimestamp(ts) >= 0;
  }

  // =====================================================================================================
  // Expiry (pulse)
  // =====================================================================================================

  /** The earliest expiry time of a pending transfer, or {@link Long#MAX_VALUE} if none. */
  public long nextExpiry() {
    while (heapSize > 0 && !heapTopValid()) heapPop();
    return heapSize == 0 ? Long.MAX_VALUE : heapAt[0];
  }

  /** Expires (at most one batch of) pending transfers due at {@code pulseTimestamp}; returns how many. */
  public int pulse(long pulseTimestamp) {
    commitTimestamp = pulseTimestamp;
    int expired = 0;
    while (expired < LedgerBackend.BATCH_MAX && heapSize > 0) {
      if (!heapTopValid()) {
        heapPop();
        continue;
      }
      if (Long.compareUnsigned(heapAt[0], pulseTimestamp) > 0) break;
      int p = heapIdx[0];
      heapPop();
      expire(p);
      expired++;
    }
    return expired;
  }

  private void expire(int p) {
    final long[] pc = chunks[p >>> CHUNK_SHIFT];
    final int pb = (p & CHUNK_MASK) << 4;
    final int dra = accountIndex.find(pc[pb + DEBIT_ACCOUNT_ID], pc[pb + DEBIT_ACCOUNT_ID + 1]);
    final int cra = accountIndex.find(pc[pb + CREDIT_ACCOUNT_ID], pc[pb + CREDIT_ACCOUNT_ID + 1]);
    final int pflags = (int) (pc[pb + LEDGER_CODE_FLAGS] >>> 48) & 0xFFFF;
    U128.subtractFrom(acc, (dra << 4) + DEBITS_PENDING, pc[pb + AMOUNT], pc[pb + AMOUNT + 1]);
    U128.subtractFrom(acc, (cra << 4) + CREDITS_PENDING, pc[pb + AMOUNT], pc[pb + AMOUNT + 1]);
    if ((pflags & TransferFlags.CLOSING_DEBIT) != 0) setAccountFlag(dra << 4, AccountFlags.CLOSED, false);
    if ((pflags & TransferFlags.CLOSING_CREDIT) != 0) setAccountFlag(cra << 4, AccountFlags.CLOSED, false);
    setStatus(p, STATUS_EXPIRED);
  }

  private boolean heapTopValid() {
    int idx = heapIdx[0];
    if (idx >= transferCount || transferTimestamp(idx) != heapTs[0] || status(idx) != STATUS_PENDING) return false;
    long[] c = chunks[idx >>> CHUNK_SHIFT];
    int b = (idx & CHUNK_MASK) << 4;
    long timeout = (c[b + USER_DATA_32] >>> 32) & 0xFFFF_FFFFL;
    return timeout > 0 && c[b + TIMESTAMP] + timeout * NS_PER_S == heapAt[0];
  }

  private static boolean heapLess(long at1, long ts1, long at2, long ts2) {
    int c = Long.compareUnsigned(at1, at2);
    return c < 0 || (c == 0 && Long.compareUnsigned(ts1, ts2) < 0);
  }

  private void heapPush(long at, long ts, int idx) {
    if (heapSize == heapAt.length) {
      int cap = heapSize * 2;
      heapAt = Arrays.copyOf(heapAt, cap);
      heapTs = Arrays.copyOf(heapTs, cap);
      heapIdx = Arrays.copyOf(heapIdx, cap);
    }
    int i = heapSize++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!heapLess(at, ts, heapAt[parent], heapTs[parent])) break;
      heapAt[i] = heapAt[parent];
      heapTs[i] = heapTs[parent];
      heapIdx[i] = heapIdx[parent];
      i = parent;
    }
    heapAt[i] = at;
    heapTs[i] = ts;
    heapIdx[i] = idx;
  }

  private void heapPop() {
    int last = --heapSize;
    if (last == 0) return;
    long at = heapAt[last];
    long ts = heapTs[last];
    int idx = heapIdx[last];
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= last) break;
      int r = l + 1;
      int m = (r < last && heapLess(heapAt[r], heapTs[r], heapAt[l], heapTs[l])) ? r : l;
      if (!heapLess(heapAt[m], heapTs[m], at, ts)) break;
      heapAt[i] = heapAt[m];
      heapTs[i] = heapTs[m];
      heapIdx[i] = heapIdx[m];
      i = m;
    }
    heapAt[i] = at;
    heapTs[i] = ts;
    heapIdx[i] = idx;
  }

  /** Rebuilds the expiry queue from the pending transfers (after loading a snapshot). */
  void rebuildExpiry() {
    heapSize = 0;
    for (int i = 0; i < transferCount; i++) {
      if (status(i) != STATUS_PENDING) continue;
      long[] c = chunks[i >>> CHUNK_SHIFT];
      int b = (i & CHUNK_MASK) << 4;
      long timeout = (c[b + USER_DATA_32] >>> 32) & 0xFFFF_FFFFL;
      if (timeout > 0) heapPush(c[b + TIMESTAMP] + timeout * NS_PER_S, c[b + TIMESTAMP], i);
    }
  }

  // =====================================================================================================
  // Test hook: setup_balances
  // =====================================================================================================

  /** Overwrites an account's balances (test hook); returns false if the account does not exist. */
  public boolean setupBalances(UInt128 id, UInt128 dp, UInt128 dpo, UInt128 cp, UInt128 cpo) {
    int a = accountIndex.find(id.lo(), id.hi());
    if (a < 0) return false;
    int b = a << 4;
    acc[b + DEBITS_PENDING] = dp.lo();
    acc[b + DEBITS_PENDING + 1] = dp.hi();
    acc[b + DEBITS_POSTED] = dpo.lo();
    acc[b + DEBITS_POSTED + 1] = dpo.hi();
    acc[b + CREDITS_PENDING] = cp.lo();
    acc[b + CREDITS_PENDING + 1] = cp.hi();
    acc[b + CREDITS_POSTED] = cpo.lo();
    acc[b + CREDITS_POSTED + 1] = cpo.hi();
    setupTouched.set(a);
    return true;
  }

  // =====================================================================================================
  // Storage helpers
  // =====================================================================================================

  static long lcf(int ledger, int code, int flags) {
    return (ledger & 0xFFFF_FFFFL) | ((long) (code & 0xFFFF) << 32) | ((long) (flags & 0xFFFF) << 48);
  }

  private int accountFlags(int b) {
    return (int) (acc[b + LEDGER_CODE_FLAGS] >>> 48) & 0xFFFF;
  }

  private void setAccountFlag(int b, int flag, boolean on) {
    long f = (long) flag << 48;
    acc[b + LEDGER_CODE_FLAGS] = on ? (acc[b + LEDGER_CODE_FLAGS] | f) : (acc[b + LEDGER_CODE_FLAGS] & ~f);
  }

  private int appendTransfer(long idLo, long idHi, long drLo, long drHi, long crLo, long crHi, long amtLo,
      long amtHi, long pidLo, long pidHi, long u128Lo, long u128Hi, long u64, long u32to, long lcf, long ts) {
    final int idx = transferCount;
    final int ci = idx >>> CHUNK_SHIFT;
    if (ci >= chunks.length) {
      chunks = Arrays.copyOf(chunks, chunks.length * 2);
      statusChunks = Arrays.copyOf(statusChunks, statusChunks.length * 2);
    }
    long[] c = chunks[ci];
    if (c == null) {
      c = chunks[ci] = new long[CHUNK_SIZE << 4];
      statusChunks[ci] = new byte[CHUNK_SIZE];
    }
    final int b = (idx & CHUNK_MASK) << 4;
    c[b] = idLo;
    c[b + 1] = idHi;
    c[b + 2] = drLo;
    c[b + 3] = drHi;
    c[b + 4] = crLo;
    c[b + 5] = crHi;
    c[b + 6] = amtLo;
    c[b + 7] = amtHi;
    c[b + 8] = pidLo;
    c[b + 9] = pidHi;
    c[b + 10] = u128Lo;
    c[b + 11] = u128Hi;
    c[b + 12] = u64;
    c[b + 13] = u32to;
    c[b + 14] = lcf;
    c[b + 15] = ts;
    statusChunks[ci][idx & CHUNK_MASK] = STATUS_NONE;
    transferCount = idx + 1;
    transferIndex.insert(idLo, idHi, idx);
    return idx;
  }

  /** Appends the transfer to both accounts' lists (and their history); must follow the balance updates. */
  private void indexTransfer(int idx, int dra, int cra) {
    appendAccountTransfer(dra, idx);
    appendAccountTransfer(cra, idx);
    if (inScope) pushUndo(idx, U_TRANSFER_INSERT);
  }

  private void appendAccountTransfer(int a, int idx) {
    final int len = lists.length(a);
    lists.append(a, idx);
    final int b = a << 4;
    if ((accountFlags(b) & AccountFlags.HISTORY) != 0) {
      long[] h = accHistory[a];
      if (h == null) {
        h = accHistory[a] = new long[8 * 16];
      } else if (h.length < 8 * (len + 1)) {
        h = accHistory[a] = Arrays.copyOf(h, h.length + (h.length >> 1));
      }
      System.arraycopy(acc, b + DEBITS_PENDING, h, len * 8, 8);
    }
  }

  byte status(int idx) {
    return statusChunks[idx >>> CHUNK_SHIFT][idx & CHUNK_MASK];
  }

  private void setStatus(int idx, byte s) {
    statusChunks[idx >>> CHUNK_SHIFT][idx & CHUNK_MASK] = s;
  }

  long transferTimestamp(int idx) {
    return chunks[idx >>> CHUNK_SHIFT][((idx & CHUNK_MASK) << 4) + TIMESTAMP];
  }

  long transferLong(int idx, int field) {
    return chunks[idx >>> CHUNK_SHIFT][((idx & CHUNK_MASK) << 4) + field];
  }

  /** Index of the transfer with this timestamp (transfers are stored in timestamp order), or -1. */
  int transferByTimestamp(long ts) {
    int lo = 0;
    int hi = transferCount - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Long.compareUnsigned(transferTimestamp(mid), ts);
      if (c == 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  int accountByTimestamp(long ts) {
    int lo = 0;
    int hi = accountCount - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Long.compareUnsigned(acc[(mid << 4) + TIMESTAMP], ts);
      if (c == 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  // ---- undo log ----

  private void scopeOpen() {
    inScope = true;
    undoLen = 0;
  }

  private void scopePersist() {
    inScope = false;
    undoLen = 0;
  }

  private void ensureUndo(int extra) {
    if (undoLen + extra > undo.length) undo = Arrays.copyOf(undo, Math.max(undo.length * 2, undoLen + extra));
  }

  private void pushUndo(long a, long type) {
    ensureUndo(2);
    undo[undoLen++] = a;
    undo[undoLen++] = type;
  }

  private void pushUndo2(long a, long b, long type) {
    ensureUndo(3);
    undo[undoLen++] = a;
    undo[undoLen++] = b;
    undo[undoLen++] = type;
  }

  private void saveAccount(int a) {
    ensureUndo(18);
    System.arraycopy(acc, a << 4, undo, undoLen, 16);
    undoLen += 16;
    undo[undoLen++] = a;
    undo[undoLen++] = U_ACCOUNT_SAVE;
  }

  private void scopeDiscard() {
    while (undoLen > 0) {
      long type = undo[--undoLen];
      if (type == U_ACCOUNT_SAVE) {
        int a = (int) undo[--undoLen];
        undoLen -= 16;
        System.arraycopy(undo, undoLen, acc, a << 4, 16);
      } else if (type == U_TRANSFER_INSERT) {
        int idx = (int) undo[--undoLen];
        rollbackTransferInsert(idx);
      } else if (type == U_STATUS) {
        byte old = (byte) undo[--undoLen];
        int idx = (int) undo[--undoLen];
        setStatus(idx, old);
      } else if (type == U_ACCOUNT_INSERT) {
        int a = (int) undo[--undoLen];
        if (a != accountCount - 1) throw new IllegalStateException("undo out of order");
        int b = a << 4;
        accountIndex.remove(acc[b], acc[b + 1], a);
        Arrays.fill(acc, b, b + 16, 0);
        lists.reset(a);
        accHistory[a] = null;
        accountCount--;
      } else {
        throw new IllegalStateException("bad undo entry " + type);
      }
    }
    inScope = false;
  }

  private void rollbackTransferInsert(int idx) {
    if (idx != transferCount - 1) throw new IllegalStateException("undo out of order");
    long[] c = chunks[idx >>> CHUNK_SHIFT];
    int b = (idx & CHUNK_MASK) << 4;
    int dra = accountIndex.find(c[b + DEBIT_ACCOUNT_ID], c[b + DEBIT_ACCOUNT_ID + 1]);
    int cra = accountIndex.find(c[b + CREDIT_ACCOUNT_ID], c[b + CREDIT_ACCOUNT_ID + 1]);
    lists.pop(dra);
    lists.pop(cra);
    transferIndex.remove(c[b], c[b + 1], idx);
    Arrays.fill(c, b, b + 16, 0);
    setStatus(idx, STATUS_NONE);
    transferCount--;
  }

  // =====================================================================================================
  // Reads
  // =====================================================================================================

  public int accountCount() {
    return accountCount;
  }

  public int transferCount() {
    return transferCount;
  }

  public int findAccount(long lo, long hi) {
    return accountIndex.find(lo, hi);
  }

  public int findTransfer(long lo, long hi) {
    return transferIndex.find(lo, hi);
  }

  public Account account(int a) {
    int b = a << 4;
    long[] x = acc;
    return new Account(UInt128.of(x[b], x[b + 1]), UInt128.of(x[b + 2], x[b + 3]), UInt128.of(x[b + 4], x[b + 5]),
        UInt128.of(x[b + 6], x[b + 7]), UInt128.of(x[b + 8], x[b + 9]), UInt128.of(x[b + 10], x[b + 11]), x[b + 12],
        (int) x[b + 13], (int) (x[b + 13] >>> 32), (int) x[b + 14], (int) (x[b + 14] >>> 32) & 0xFFFF,
        (int) (x[b + 14] >>> 48) & 0xFFFF, x[b + 15]);
  }

  public Transfer transfer(int idx) {
    long[] x = chunks[idx >>> CHUNK_SHIFT];
    int b = (idx & CHUNK_MASK) << 4;
    return new Transfer(UInt128.of(x[b], x[b + 1]), UInt128.of(x[b + 2], x[b + 3]), UInt128.of(x[b + 4], x[b + 5]),
        UInt128.of(x[b + 6], x[b + 7]), UInt128.of(x[b + 8], x[b + 9]), UInt128.of(x[b + 10], x[b + 11]), x[b + 12],
        (int) x[b + 13], (int) (x[b + 13] >>> 32), (int) x[b + 14], (int) (x[b + 14] >>> 32) & 0xFFFF,
        (int) (x[b + 14] >>> 48) & 0xFFFF, x[b + 15]);
  }

  /** Status of a pending transfer (0 none, 1 pending, 2 posted, 3 voided, 4 expired). */
  public int pendingStatus(int idx) {
    return status(idx);
  }

  public List<Account> lookupAccounts(List<UInt128> ids) {
    List<Account> out = new ArrayList<>();
    for (UInt128 id : ids) {
      int a = accountIndex.find(id.lo(), id.hi());
      if (a >= 0) out.add(account(a));
    }
    return out;
  }

  public List<Transfer> lookupTransfers(List<UInt128> ids) {
    List<Transfer> out = new ArrayList<>();
    for (UInt128 id : ids) {
      int t = transferIndex.find(id.lo(), id.hi());
      if (t >= 0) out.add(transfer(t));
    }
    return out;
  }

  private static int effectiveLimit(int limit) {
    return Integer.compareUnsigned(limit, LedgerBackend.BATCH_MAX) > 0 ? LedgerBackend.BATCH_MAX : limit;
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

  /** Positions in the account's transfer list matching the filter, in reply order (≤ limit). */
  private int[] scanAccount(AccountFilter f, int a) {
    final long min = f.timestampMin() == 0 ? 1 : f.timestampMin();
    final long max = f.timestampMax() == 0 ? TIMESTAMP_MAX : f.timestampMax();
    final int limit = effectiveLimit(f.limit());
    final int len = lists.length(a);
    final boolean debits = (f.flags() & AccountFilterFlags.DEBITS) != 0;
    final boolean credits = (f.flags() & AccountFilterFlags.CREDITS) != 0;
    final long idLo = acc[a << 4];
    final long idHi = acc[(a << 4) + 1];
    int[] out = new int[Math.min(limit, Math.max(len, 0))];
    int n = 0;
    if (len == 0 || Long.compareUnsigned(min, max) > 0) return out;
    final boolean rev = f.reversed();
    int start = rev ? upperBound(a, len, max) - 1 : lowerBound(a, len, min);
    for (int i = start; n < limit && i >= 0 && i < len; i += rev ? -1 : 1) {
      int t = lists.get(a, i);
      long[] c = chunks[t >>> CHUNK_SHIFT];
      int b = (t & CHUNK_MASK) << 4;
      long ts = c[b + TIMESTAMP];
      if (rev ? Long.compareUnsigned(ts, min) < 0 : Long.compareUnsigned(ts, max) > 0) break;
      boolean isDebit = c[b + DEBIT_ACCOUNT_ID] == idLo && c[b + DEBIT_ACCOUNT_ID + 1] == idHi;
      if (isDebit ? !debits : !credits) continue;
      if (!transferMatches(c, b, f.userData128(), f.userData64(), f.userData32(), 0, f.code())) continue;
      out[n++] = i;
    }
    return Arrays.copyOf(out, n);
  }

  private static boolean transferMatches(long[] c, int b, UInt128 u128, long u64, int u32, int ledger, int code) {
    if (!u128.isZero() && (c[b + USER_DATA_128] != u128.lo() || c[b + USER_DATA_128 + 1] != u128.hi())) return false;
    if (u64 != 0 && c[b + USER_DATA_64] != u64) return false;
    if (u32 != 0 && (int) c[b + USER_DATA_32] != u32) return false;
    if (ledger != 0 && (int) c[b + LEDGER_CODE_FLAGS] != ledger) return false;
    return code == 0 || ((int) (c[b + LEDGER_CODE_FLAGS] >>> 32) & 0xFFFF) == code;
  }

  private int lowerBound(int a, int len, long ts) {
    int lo = 0;
    int hi = len;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(transferTimestamp(lists.get(a, mid)), ts) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private int upperBound(int a, int len, long ts) {
    int lo = 0;
    int hi = len;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(transferTimestamp(lists.get(a, mid)), ts) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  public List<Transfer> getAccountTransfers(AccountFilter f) {
    List<Transfer> out = new ArrayList<>();
    if (!accountFilterValid(f)) return out;
    int a = accountIndex.find(f.accountId().lo(), f.accountId().hi());
    if (a < 0) return out;
    for (int pos : scanAccount(f, a)) out.add(transfer(lists.get(a, pos)));
    return out;
  }

  public List<AccountBalance> getAccountBalances(AccountFilter f) {
    List<AccountBalance> out = new ArrayList<>();
    if (!accountFilterValid(f)) return out;
    int a = accountIndex.find(f.accountId().lo(), f.accountId().hi());
    if (a < 0 || (accountFlags(a << 4) & AccountFlags.HISTORY) == 0) return out;
    long[] h = accHistory[a];
    for (int pos : scanAccount(f, a)) {
      int e = pos * 8;
      out.add(new AccountBalance(UInt128.of(h[e], h[e + 1]), UInt128.of(h[e + 2], h[e + 3]),
          UInt128.of(h[e + 4], h[e + 5]), UInt128.of(h[e + 6], h[e + 7]), transferTimestamp(lists.get(a, pos))));
    }
    return out;
  }

  private static boolean queryFilterValid(QueryFilter f) {
    return f.timestampMin() != -1L && f.timestampMax() != -1L
        && (f.timestampMax() == 0 || Long.compareUnsigned(f.timestampMin(), f.timestampMax()) <= 0)
        && f.limit() != 0
        && (f.flags() & QueryFilterFlags.PADDING_MASK) == 0
        && !f.reservedNonZero();
  }

  public List<Account> queryAccounts(QueryFilter f) {
    List<Account> out = new ArrayList<>();
    if (!queryFilterValid(f)) return out;
    final long min = f.timestampMin() == 0 ? 1 : f.timestampMin();
    final long max = f.timestampMax() == 0 ? TIMESTAMP_MAX : f.timestampMax();
    final int limit = effectiveLimit(f.limit());
    final boolean rev = f.reversed();
    for (int i = rev ? accountCount - 1 : 0; out.size() < limit && i >= 0 && i < accountCount; i += rev ? -1 : 1) {
      long ts = acc[(i << 4) + TIMESTAMP];
      if (Long.compareUnsigned(ts, min) < 0 || Long.compareUnsigned(ts, max) > 0) continue;
      if (!transferMatches(acc, i << 4, f.userData128(), f.userData64(), f.userData32(), f.ledger(), f.code())) {
        continue;
      }
      out.add(account(i));
    }
    return out;
  }

  public List<Transfer> queryTransfers(QueryFilter f) {
    List<Transfer> out = new ArrayList<>();
    if (!queryFilterValid(f)) return out;
    final long min = f.timestampMin() == 0 ? 1 : f.timestampMin();
    final long max = f.timestampMax() == 0 ? TIMESTAMP_MAX : f.timestampMax();
    final int limit = effectiveLimit(f.limit());
    final boolean rev = f.reversed();
    if (Long.compareUnsigned(min, max) > 0) return out;
    int start = rev ? upperBoundAll(max) - 1 : lowerBoundAll(min);
    for (int i = start; out.size() < limit && i >= 0 && i < transferCount; i += rev ? -1 : 1) {
      long[] c = chunks[i >>> CHUNK_SHIFT];
      int b = (i & CHUNK_MASK) << 4;
      long ts = c[b + TIMESTAMP];
      if (rev ? Long.compareUnsigned(ts, min) < 0 : Long.compareUnsigned(ts, max) > 0) break;
      if (!transferMatches(c, b, f.userData128(), f.userData64(), f.userData32(), f.ledger(), f.code())) continue;
      out.add(transfer(i));
    }
    return out;
  }

  private int lowerBoundAll(long ts) {
    int lo = 0;
    int hi = transferCount;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(transferTimestamp(mid), ts) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private int upperBoundAll(long ts) {
    int lo = 0;
    int hi = transferCount;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(transferTimestamp(mid), ts) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // =====================================================================================================
  // Snapshots
  // =====================================================================================================

  StateView view(long opNumber) {
    return new StateView(this, opNumber);
  }

  /** SHA-256 of the canonical state bytes (same batches and timestamps give the same digest). */
  public String stateDigest() {
    return StateCodec.digest(view(0));
  }

  /** Installs loaded state and rebuilds everything derived from it (id indexes, per-account lists). */
  void restore(long commitTs, long[] accounts, int nAccounts, long[][] records, byte[][] statuses, int nTransfers) {
    commitTimestamp = commitTs;
    acc = accounts;
    accountCount = nAccounts;
    int cap = Math.max(1024, Integer.highestOneBit(Math.max(1, nAccounts)) * 2);
    lists = new AccountLists(cap);
    accHistory = new long[cap][];
    accountIndex.clear();
    for (int a = 0; a < nAccounts; a++) accountIndex.insert(acc[a << 4], acc[(a << 4) + 1], a);
    int nChunks = Math.max(16, records.length);
    chunks = Arrays.copyOf(records, nChunks);
    statusChunks = Arrays.copyOf(statuses, nChunks);
    transferCount = nTransfers;
    transferIndex.clear();
    // The id index and the per-account lists are independent: build them on two threads.
    final long[][] recs = chunks;
    Thread idThread = new Thread(() -> transferIndex.insertAll(nTransfers, new IdIndex.IdSource() {
      @Override
      public long lo(int t) {
        return recs[t >>> CHUNK_SHIFT][(t & CHUNK_MASK) << 4];
      }

      @Override
      public long hi(int t) {
        return recs[t >>> CHUNK_SHIFT][((t & CHUNK_MASK) << 4) + 1];
      }
    }), "ledger-restore-index");
    idThread.start();
    for (int t = 0; t < nTransfers; t++) {
      long[] c = recs[t >>> CHUNK_SHIFT];
      int b = (t & CHUNK_MASK) << 4;
      lists.append(accountIndex.find(c[b + DEBIT_ACCOUNT_ID], c[b + DEBIT_ACCOUNT_ID + 1]), t);
      lists.append(accountIndex.find(c[b + CREDIT_ACCOUNT_ID], c[b + CREDIT_ACCOUNT_ID + 1]), t);
    }
    try {
      idThread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while restoring", e);
    }
  }

  /** Bytes held by the stored state's arrays (accounts, transfers, statuses, indexes, per-account lists). */
  public long memoryBytes() {
    long bytes = (long) acc.length * 8 + accountIndex.memoryBytes() + transferIndex.memoryBytes();
    for (long[] c : chunks) if (c != null) bytes += (long) c.length * 8;
    for (byte[] s : statusChunks) if (s != null) bytes += s.length;
    bytes += lists.memoryBytes(accountCount);
    for (int i = 0; i < accountCount; i++) if (accHistory[i] != null) bytes += (long) accHistory[i].length * 8;
    bytes += (long) heapAt.length * 20;
    return bytes;
  }
}
