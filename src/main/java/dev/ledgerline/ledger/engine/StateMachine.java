package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Fields.*;
import static dev.ledgerline.ledger.engine.TransferStore.STATUS_EXPIRED;
import static dev.ledgerline.ledger.engine.TransferStore.STATUS_PENDING;
import static dev.ledgerline.ledger.engine.TransferStore.STATUS_POSTED;
import static dev.ledgerline.ledger.engine.TransferStore.STATUS_VOIDED;
import static dev.ledgerline.ledger.model.CreateTransferResult.*;

import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.Operation;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;

/**
 * TigerBeetle 0.16.30's state machine, deterministic and single-threaded: whole batches in with their prepare
 * timestamp, failures out. The same batches with the same timestamps always give the same state.
 *
 * <p>This class holds the rules, laid out as TigerBeetle's {@code state_machine.zig}: {@link #execute} runs a batch
 * (linked chains, imported events, timestamps), and {@link #createAccount}, {@link #createTransfer} and
 * {@link #postOrVoid} are their result codes' checks in precedence order. Storage ({@link AccountStore},
 * {@link TransferStore}), the {@link ExpiryQueue}, the chain {@link UndoLog}, {@link U128} arithmetic and the
 * {@link Queries} live beside it.
 */
public final class StateMachine {

  static final long NS_PER_S = 1_000_000_000L;
  static final long TIMESTAMP_MAX = Long.MAX_VALUE; // u63

  // Result codes as ints (hot path).
  private static final int T_OK = 0;
  private static final int LINKED_EVENT_FAILED = 1;
  private static final int LINKED_EVENT_CHAIN_OPEN = 2;
  private static final int TIMESTAMP_MUST_BE_ZERO = 3;
  /** Events whose id-index slots are prefetched at a time. */
  private static final int PREFETCH = 256;
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

  final AccountStore accounts = new AccountStore();
  final TransferStore transfers;
  private final ExpiryQueue expiry;
  private final UndoLog undo = new UndoLog();
  /** The read operations (lookups, account history, query filters). */
  final Queries queries;

  /** Ids that failed with a transient error: they can never succeed. */
  final U128Set orphans = new U128Set();

  /** Accounts whose balances the test hook overwrote (the verifier checks them by their transfers only). */
  final BitSet setupTouched = new BitSet();

  /** Timestamp of the last executed state-changing request (create batch or pulse). */
  long commitTimestamp;

  /**
   * The highest fencing epoch recorded ({@link LedgerEngine#fence}). It changes no account or transfer and is not
   * part of the canonical state bytes; snapshots keep it in their header.
   */
  long fenceEpoch;

  /** The create_transfer event being executed. */
  private final TransferEvent t = new TransferEvent();

  public StateMachine() {
    this(1024);
  }

  public StateMachine(int expectedTransfers) {
    transfers = new TransferStore(expectedTransfers);
    expiry = new ExpiryQueue(transfers);
    queries = new Queries(accounts, transfers);
  }

  // ---- Batches ----

  /** Executes a create_accounts batch of {@code n} 128-byte events (little-endian buffer) at prepare timestamp T. */
  public void createAccounts(ByteBuffer events, int base, int n, long prepareTimestamp, BatchResults out) {
    execute(Operation.CREATE_ACCOUNTS, events, base, n, prepareTimestamp, out);
  }

  public void createTransfers(ByteBuffer events, int base, int n, long prepareTimestamp, BatchResults out) {
    execute(Operation.CREATE_TRANSFERS, events, base, n, prepareTimestamp, out);
  }

  /** Executes a create batch of {@code op}: the one loop of TigerBeetle's {@code execute_create}. */
  public void execute(Operation<?, ?> op, ByteBuffer ev, int base, int n, long prepareTimestamp, BatchResults out) {
    final boolean transferEvents = op == Operation.CREATE_TRANSFERS;
    if (ev.order() != ByteOrder.LITTLE_ENDIAN) throw new IllegalArgumentException("events must be little-endian");
    if (n > LedgerBackend.BATCH_MAX) throw new IllegalArgumentException("batch too large: " + n);
    out.reset();
    commitTimestamp = prepareTimestamp;
    if (n == 0) return;
    final int importedFlag = transferEvents ? TransferFlags.IMPORTED : AccountFlags.IMPORTED;
    final int notExpected = transferEvents ? tr(IMPORTED_EVENT_NOT_EXPECTED)
        : ar(CreateAccountResult.IMPORTED_EVENT_NOT_EXPECTED);
    final int expected = transferEvents ? tr(IMPORTED_EVENT_EXPECTED)
        : ar(CreateAccountResult.IMPORTED_EVENT_EXPECTED);
    final int outOfRange = transferEvents ? tr(IMPORTED_EVENT_TIMESTAMP_OUT_OF_RANGE)
        : ar(CreateAccountResult.IMPORTED_EVENT_TIMESTAMP_OUT_OF_RANGE);
    final int mustNotAdvance = transferEvents ? tr(IMPORTED_EVENT_TIMESTAMP_MUST_NOT_ADVANCE)
        : ar(CreateAccountResult.IMPORTED_EVENT_TIMESTAMP_MUST_NOT_ADVANCE);
    final boolean firstImported = (eventFlags(ev, base) & importedFlag) != 0;
    int chainStart = -1;
    boolean chainBroken = false;
    for (int i = 0; i < n; i++) {
      final int off = base + i * BYTES;
      if (transferEvents && (i & (PREFETCH - 1)) == 0) transfers.prefetch(ev, off, Math.min(PREFETCH, n - i));
      final int flags = eventFlags(ev, off);
      final boolean linked = (flags & 1) != 0;
      int r;
      evaluate:
      {
        if (linked) {
          if (chainStart < 0) {
            chainStart = i;
            undo.open();
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
        final long eventTs = ev.getLong(off + TIMESTAMP * 8);
        final long ts;
        if (imported) {
          if (eventTs < 1) { // 0, or above 2^63-1 (negative as signed)
            r = outOfRange;
            break evaluate;
          }
          if (Long.compareUnsigned(eventTs, prepareTimestamp) >= 0) {
            r = mustNotAdvance;
            break evaluate;
          }
          ts = eventTs;
        } else {
          if (eventTs != 0) {
            r = TIMESTAMP_MUST_BE_ZERO;
            break evaluate;
          }
          ts = prepareTimestamp - n + i + 1;
        }
        r = transferEvents ? createTransfer(ev, off, ts) : createAccount(ev, off, ts);
      }
      if (r != T_OK) {
        if (chainStart >= 0 && !chainBroken) {
          chainBroken = true;
          undo.discard(accounts, transfers);
          for (int c = chainStart; c < i; c++) out.add(c, LINKED_EVENT_FAILED);
        }
        out.add(i, r);
        if (transferEvents && TRANSIENT[r]) orphans.add(ev.getLong(off + ID * 8), ev.getLong(off + (ID + 1) * 8));
      }
      if (chainStart >= 0 && (!linked || r == LINKED_EVENT_CHAIN_OPEN)) {
        if (!chainBroken) undo.persist();
        chainStart = -1;
        chainBroken = false;
      }
    }
  }

  // ---- create_account ----

  private int createAccount(ByteBuffer events, int off, long ts) {
    final long idLo = eventLong(events, off, ID);
    final long idHi = eventLong(events, off, ID + 1);
    final long userData32Word = eventLong(events, off, USER_DATA_32);
    final long ledgerCodeFlags = eventLong(events, off, LEDGER_CODE_FLAGS);
    final int ledger = Fields.ledger(ledgerCodeFlags);
    final int code = Fields.code(ledgerCodeFlags);
    final int flags = Fields.flags(ledgerCodeFlags);
    if (upperHalf(userData32Word) != 0) return ar(CreateAccountResult.RESERVED_FIELD);
    if ((flags & AccountFlags.PADDING_MASK) != 0) return ar(CreateAccountResult.RESERVED_FLAG);
    if (U128.isZero(idLo, idHi)) return ar(CreateAccountResult.ID_MUST_NOT_BE_ZERO);
    if (U128.isMax(idLo, idHi)) return ar(CreateAccountResult.ID_MUST_NOT_BE_INT_MAX);
    final int existing = accounts.find(idLo, idHi);
    if (existing >= 0) return accountExists(existing, events, off);
    if ((flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS) != 0
        && (flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS) != 0) {
      return ar(CreateAccountResult.FLAGS_ARE_MUTUALLY_EXCLUSIVE);
    }
    if (!eventFieldZero(events, off, DEBITS_PENDING)) return ar(CreateAccountResult.DEBITS_PENDING_MUST_BE_ZERO);
    if (!eventFieldZero(events, off, DEBITS_POSTED)) return ar(CreateAccountResult.DEBITS_POSTED_MUST_BE_ZERO);
    if (!eventFieldZero(events, off, CREDITS_PENDING)) return ar(CreateAccountResult.CREDITS_PENDING_MUST_BE_ZERO);
    if (!eventFieldZero(events, off, CREDITS_POSTED)) return ar(CreateAccountResult.CREDITS_POSTED_MUST_BE_ZERO);
    if (ledger == 0) return ar(CreateAccountResult.LEDGER_MUST_NOT_BE_ZERO);
    if (code == 0) return ar(CreateAccountResult.CODE_MUST_NOT_BE_ZERO);
    if ((flags & AccountFlags.IMPORTED) != 0) {
      final int newest = accounts.count() - 1;
      if ((newest >= 0 && Long.compareUnsigned(ts, accounts.timestamp(newest)) <= 0)
          || transfers.byTimestamp(ts) >= 0) {
        return ar(CreateAccountResult.IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS);
      }
    }
    final int a = accounts.insert(events, off, ts);
    if (undo.isOpen()) undo.accountInserted(a);
    return T_OK;
  }

  private static boolean eventFieldZero(ByteBuffer events, int off, int field) {
    return U128.isZero(eventLong(events, off, field), eventLong(events, off, field + 1));
  }

  private int accountExists(int a, ByteBuffer events, int off) {
    final long ledgerCodeFlags = eventLong(events, off, LEDGER_CODE_FLAGS);
    final long existingLedgerCodeFlags = accounts.get(a, LEDGER_CODE_FLAGS);
    if (Fields.flags(existingLedgerCodeFlags) != Fields.flags(ledgerCodeFlags)) {
      return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_FLAGS);
    }
    if (accounts.get(a, USER_DATA_128) != eventLong(events, off, USER_DATA_128)
        || accounts.get(a, USER_DATA_128 + 1) != eventLong(events, off, USER_DATA_128 + 1)) {
      return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_USER_DATA_128);
    }
    if (accounts.get(a, USER_DATA_64) != eventLong(events, off, USER_DATA_64)) {
      return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_USER_DATA_64);
    }
    if (userData32(accounts.get(a, USER_DATA_32)) != userData32(eventLong(events, off, USER_DATA_32))) {
      return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_USER_DATA_32);
    }
    if (Fields.ledger(existingLedgerCodeFlags) != Fields.ledger(ledgerCodeFlags)) {
      return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_LEDGER);
    }
    if (Fields.code(existingLedgerCodeFlags) != Fields.code(ledgerCodeFlags)) {
      return ar(CreateAccountResult.EXISTS_WITH_DIFFERENT_CODE);
    }
    return ar(CreateAccountResult.EXISTS);
  }

  // ---- create_transfer ----

  private int createTransfer(ByteBuffer events, int off, long ts) {
    final TransferEvent t = this.t;
    t.load(events, off);
    if ((t.flags & TransferFlags.PADDING_MASK) != 0) return tr(RESERVED_FLAG);
    if (U128.isZero(t.idLo, t.idHi)) return tr(ID_MUST_NOT_BE_ZERO);
    if (U128.isMax(t.idLo, t.idHi)) return tr(ID_MUST_NOT_BE_INT_MAX);
    final int existing = transfers.find(t.idLo, t.idHi);
    if (existing >= 0) return transferExists(existing);
    if (orphans.size() > 0 && orphans.contains(t.idLo, t.idHi)) return tr(ID_ALREADY_FAILED);
    if ((t.flags & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)) != 0) {
      return postOrVoid(ts);
    }
    if (U128.isZero(t.debitAccountIdLo, t.debitAccountIdHi)) return tr(DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO);
    if (U128.isMax(t.debitAccountIdLo, t.debitAccountIdHi)) return tr(DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX);
    if (U128.isZero(t.creditAccountIdLo, t.creditAccountIdHi)) return tr(CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO);
    if (U128.isMax(t.creditAccountIdLo, t.creditAccountIdHi)) return tr(CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX);
    if (t.debitAccountIdLo == t.creditAccountIdLo && t.debitAccountIdHi == t.creditAccountIdHi) {
      return tr(ACCOUNTS_MUST_BE_DIFFERENT);
    }
    if (!U128.isZero(t.pendingIdLo, t.pendingIdHi)) return tr(PENDING_ID_MUST_BE_ZERO);
    final boolean pending = (t.flags & TransferFlags.PENDING) != 0;
    if (!pending) {
      if (t.timeout != 0) return tr(TIMEOUT_RESERVED_FOR_PENDING_TRANSFER);
      if ((t.flags & (TransferFlags.CLOSING_DEBIT | TransferFlags.CLOSING_CREDIT)) != 0) {
        return tr(CLOSING_TRANSFER_MUST_BE_PENDING);
      }
    }
    if (t.ledger == 0) return tr(LEDGER_MUST_NOT_BE_ZERO);
    if (t.code == 0) return tr(CODE_MUST_NOT_BE_ZERO);
    final AccountStore accounts = this.accounts;
    final int dr = accounts.find(t.debitAccountIdLo, t.debitAccountIdHi);
    if (dr < 0) return tr(DEBIT_ACCOUNT_NOT_FOUND);
    final int cr = accounts.find(t.creditAccountIdLo, t.creditAccountIdHi);
    if (cr < 0) return tr(CREDIT_ACCOUNT_NOT_FOUND);
    final int drLedger = Fields.ledger(accounts.get(dr, LEDGER_CODE_FLAGS));
    if (drLedger != Fields.ledger(accounts.get(cr, LEDGER_CODE_FLAGS))) return tr(ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER);
    if (t.ledger != drLedger) return tr(TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS);
    if ((t.flags & TransferFlags.IMPORTED) != 0) {
      if (importedTransferRegresses(ts)) return tr(IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS);
      if (Long.compareUnsigned(ts, accounts.timestamp(dr)) <= 0) {
        return tr(IMPORTED_EVENT_TIMESTAMP_MUST_POSTDATE_DEBIT_ACCOUNT);
      }
      if (Long.compareUnsigned(ts, accounts.timestamp(cr)) <= 0) {
        return tr(IMPORTED_EVENT_TIMESTAMP_MUST_POSTDATE_CREDIT_ACCOUNT);
      }
      if (t.timeout != 0) return tr(IMPORTED_EVENT_TIMEOUT_MUST_BE_ZERO);
    }
    final int drFlags = accounts.flags(dr);
    final int crFlags = accounts.flags(cr);
    if ((drFlags & AccountFlags.CLOSED) != 0) return tr(DEBIT_ACCOUNT_ALREADY_CLOSED);
    if ((crFlags & AccountFlags.CLOSED) != 0) return tr(CREDIT_ACCOUNT_ALREADY_CLOSED);

    final long drDebitsPendingLo = accounts.get(dr, DEBITS_PENDING);
    final long drDebitsPendingHi = accounts.get(dr, DEBITS_PENDING + 1);
    final long drDebitsPostedLo = accounts.get(dr, DEBITS_POSTED);
    final long drDebitsPostedHi = accounts.get(dr, DEBITS_POSTED + 1);
    final long drCreditsPostedLo = accounts.get(dr, CREDITS_POSTED);
    final long drCreditsPostedHi = accounts.get(dr, CREDITS_POSTED + 1);
    final long crCreditsPendingLo = accounts.get(cr, CREDITS_PENDING);
    final long crCreditsPendingHi = accounts.get(cr, CREDITS_PENDING + 1);
    final long crCreditsPostedLo = accounts.get(cr, CREDITS_POSTED);
    final long crCreditsPostedHi = accounts.get(cr, CREDITS_POSTED + 1);
    final long crDebitsPostedLo = accounts.get(cr, DEBITS_POSTED);
    final long crDebitsPostedHi = accounts.get(cr, DEBITS_POSTED + 1);
    // debits = debits_pending + debits_posted, credits likewise (saturating: only setup_balances can overflow them)
    final long drDebitsLo = U128.saturatingSumLo(drDebitsPendingLo, drDebitsPendingHi, drDebitsPostedLo,
        drDebitsPostedHi);
    final long drDebitsHi = U128.saturatingSumHi(drDebitsPendingLo, drDebitsPendingHi, drDebitsPostedLo,
        drDebitsPostedHi);
    final long crCreditsLo = U128.saturatingSumLo(crCreditsPendingLo, crCreditsPendingHi, crCreditsPostedLo,
        crCreditsPostedHi);
    final long crCreditsHi = U128.saturatingSumHi(crCreditsPendingLo, crCreditsPendingHi, crCreditsPostedLo,
        crCreditsPostedHi);

    long amountLo = t.amountLo;
    long amountHi = t.amountHi;
    if ((t.flags & TransferFlags.BALANCING_DEBIT) != 0) {
      // min(amount, dr.credits_posted -| (dr.debits_posted +| dr.debits_pending))
      final long limitLo = U128.saturatingDifferenceLo(drCreditsPostedLo, drCreditsPostedHi, drDebitsLo, drDebitsHi);
      final long limitHi = U128.saturatingDifferenceHi(drCreditsPostedLo, drCreditsPostedHi, drDebitsLo, drDebitsHi);
      if (U128.compare(limitLo, limitHi, amountLo, amountHi) < 0) {
        amountLo = limitLo;
        amountHi = limitHi;
      }
    }
    if ((t.flags & TransferFlags.BALANCING_CREDIT) != 0) {
      // min(amount, cr.debits_posted -| (cr.credits_posted +| cr.credits_pending))
      final long limitLo = U128.saturatingDifferenceLo(crDebitsPostedLo, crDebitsPostedHi, crCreditsLo, crCreditsHi);
      final long limitHi = U128.saturatingDifferenceHi(crDebitsPostedLo, crDebitsPostedHi, crCreditsLo, crCreditsHi);
      if (U128.compare(limitLo, limitHi, amountLo, amountHi) < 0) {
        amountLo = limitLo;
        amountHi = limitHi;
      }
    }
    if (pending) {
      if (U128.sumOverflows(amountLo, amountHi, drDebitsPendingLo, drDebitsPendingHi)) {
        return tr(OVERFLOWS_DEBITS_PENDING);
      }
      if (U128.sumOverflows(amountLo, amountHi, crCreditsPendingLo, crCreditsPendingHi)) {
        return tr(OVERFLOWS_CREDITS_PENDING);
      }
    }
    if (U128.sumOverflows(amountLo, amountHi, drDebitsPostedLo, drDebitsPostedHi)) return tr(OVERFLOWS_DEBITS_POSTED);
    if (U128.sumOverflows(amountLo, amountHi, crCreditsPostedLo, crCreditsPostedHi)) {
      return tr(OVERFLOWS_CREDITS_POSTED);
    }
    if (U128.sumOverflows(amountLo, amountHi, drDebitsLo, drDebitsHi)) return tr(OVERFLOWS_DEBITS);
    if (U128.sumOverflows(amountLo, amountHi, crCreditsLo, crCreditsHi)) return tr(OVERFLOWS_CREDITS);
    final long timeoutNs = (t.timeout & 0xFFFF_FFFFL) * NS_PER_S;
    if (timeoutNs > TIMESTAMP_MAX - ts) return tr(OVERFLOWS_TIMEOUT);
    // debits + amount > credits_posted (the sums cannot overflow: checked above)
    if ((drFlags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS) != 0
        && U128.compare(U128.sumLo(drDebitsLo, amountLo), U128.sumHi(drDebitsLo, drDebitsHi, amountLo, amountHi),
            drCreditsPostedLo, drCreditsPostedHi) > 0) {
      return tr(EXCEEDS_CREDITS);
    }
    if ((crFlags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS) != 0
        && U128.compare(U128.sumLo(crCreditsLo, amountLo), U128.sumHi(crCreditsLo, crCreditsHi, amountLo, amountHi),
            crDebitsPostedLo, crDebitsPostedHi) > 0) {
      return tr(EXCEEDS_DEBITS);
    }

    // ---- success ----
    if (undo.isOpen()) {
      undo.accountSaved(accounts, dr);
      undo.accountSaved(accounts, cr);
    }
    final int transfer = transfers.append(t.idLo, t.idHi, t.debitAccountIdLo, t.debitAccountIdHi,
        t.creditAccountIdLo, t.creditAccountIdHi, amountLo, amountHi, 0, 0, t.userData128Lo, t.userData128Hi,
        t.userData64, t.userData32Word(), ledgerCodeFlags(t.ledger, t.code, t.flags), ts);
    if (pending) {
      accounts.add(dr, DEBITS_PENDING, amountLo, amountHi);
      accounts.add(cr, CREDITS_PENDING, amountLo, amountHi);
      transfers.setStatus(transfer, STATUS_PENDING);
    } else {
      accounts.add(dr, DEBITS_POSTED, amountLo, amountHi);
      accounts.add(cr, CREDITS_POSTED, amountLo, amountHi);
    }
    if ((t.flags & TransferFlags.CLOSING_DEBIT) != 0) accounts.setFlag(dr, AccountFlags.CLOSED, true);
    if ((t.flags & TransferFlags.CLOSING_CREDIT) != 0) accounts.setFlag(cr, AccountFlags.CLOSED, true);
    indexTransfer(transfer, dr, cr);
    if (timeoutNs > 0) expiry.push(ts + timeoutNs, ts, transfer);
    return T_OK;
  }

  private int transferExists(int e) {
    final TransferEvent t = this.t;
    final long existingLedgerCodeFlags = transfers.get(e, LEDGER_CODE_FLAGS);
    if (Fields.flags(existingLedgerCodeFlags) != t.flags) return tr(EXISTS_WITH_DIFFERENT_FLAGS);
    if (transfers.get(e, PENDING_ID) != t.pendingIdLo || transfers.get(e, PENDING_ID + 1) != t.pendingIdHi) {
      return tr(EXISTS_WITH_DIFFERENT_PENDING_ID);
    }
    if (upperHalf(transfers.get(e, USER_DATA_32)) != t.timeout) return tr(EXISTS_WITH_DIFFERENT_TIMEOUT);
    if ((t.flags & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)) != 0) {
      return postOrVoidExists(e);
    }
    if (transfers.get(e, DEBIT_ACCOUNT_ID) != t.debitAccountIdLo
        || transfers.get(e, DEBIT_ACCOUNT_ID + 1) != t.debitAccountIdHi) {
      return tr(EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID);
    }
    if (transfers.get(e, CREDIT_ACCOUNT_ID) != t.creditAccountIdLo
        || transfers.get(e, CREDIT_ACCOUNT_ID + 1) != t.creditAccountIdHi) {
      return tr(EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID);
    }
    if ((t.flags & (TransferFlags.BALANCING_DEBIT | TransferFlags.BALANCING_CREDIT)) != 0) {
      // A balancing transfer may have stored less than it asked for.
      if (U128.compare(t.amountLo, t.amountHi, transfers.get(e, AMOUNT), transfers.get(e, AMOUNT + 1)) < 0) {
        return tr(EXISTS_WITH_DIFFERENT_AMOUNT);
      }
    } else if (transfers.get(e, AMOUNT) != t.amountLo || transfers.get(e, AMOUNT + 1) != t.amountHi) {
      return tr(EXISTS_WITH_DIFFERENT_AMOUNT);
    }
    if (transfers.get(e, USER_DATA_128) != t.userData128Lo || transfers.get(e, USER_DATA_128 + 1) != t.userData128Hi) {
      return tr(EXISTS_WITH_DIFFERENT_USER_DATA_128);
    }
    if (transfers.get(e, USER_DATA_64) != t.userData64) return tr(EXISTS_WITH_DIFFERENT_USER_DATA_64);
    if (userData32(transfers.get(e, USER_DATA_32)) != t.userData32) return tr(EXISTS_WITH_DIFFERENT_USER_DATA_32);
    if (Fields.ledger(existingLedgerCodeFlags) != t.ledger) return tr(EXISTS_WITH_DIFFERENT_LEDGER);
    if (Fields.code(existingLedgerCodeFlags) != t.code) return tr(EXISTS_WITH_DIFFERENT_CODE);
    return tr(EXISTS);
  }

  /** An existing post or void: a zero event field stands for the pending transfer's value. */
  private int postOrVoidExists(int e) {
    final TransferEvent t = this.t;
    final int p = transfers.find(transfers.get(e, PENDING_ID), transfers.get(e, PENDING_ID + 1));
    if (!U128.isZero(t.debitAccountIdLo, t.debitAccountIdHi)
        && (transfers.get(e, DEBIT_ACCOUNT_ID) != t.debitAccountIdLo
            || transfers.get(e, DEBIT_ACCOUNT_ID + 1) != t.debitAccountIdHi)) {
      return tr(EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID);
    }
    if (!U128.isZero(t.creditAccountIdLo, t.creditAccountIdHi)
        && (transfers.get(e, CREDIT_ACCOUNT_ID) != t.creditAccountIdLo
            || transfers.get(e, CREDIT_ACCOUNT_ID + 1) != t.creditAccountIdHi)) {
      return tr(EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID);
    }
    final boolean isVoid = (t.flags & TransferFlags.VOID_PENDING_TRANSFER) != 0;
    final boolean fullAmount = isVoid ? U128.isZero(t.amountLo, t.amountHi) : U128.isMax(t.amountLo, t.amountHi);
    if (fullAmount) {
      if (!sameU128(e, p, AMOUNT)) return tr(EXISTS_WITH_DIFFERENT_AMOUNT);
    } else if (transfers.get(e, AMOUNT) != t.amountLo || transfers.get(e, AMOUNT + 1) != t.amountHi) {
      return tr(EXISTS_WITH_DIFFERENT_AMOUNT);
    }
    if (U128.isZero(t.userData128Lo, t.userData128Hi)) {
      if (!sameU128(e, p, USER_DATA_128)) return tr(EXISTS_WITH_DIFFERENT_USER_DATA_128);
    } else if (transfers.get(e, USER_DATA_128) != t.userData128Lo
        || transfers.get(e, USER_DATA_128 + 1) != t.userData128Hi) {
      return tr(EXISTS_WITH_DIFFERENT_USER_DATA_128);
    }
    if (t.userData64 == 0) {
      if (transfers.get(e, USER_DATA_64) != transfers.get(p, USER_DATA_64)) {
        return tr(EXISTS_WITH_DIFFERENT_USER_DATA_64);
      }
    } else if (transfers.get(e, USER_DATA_64) != t.userData64) {
      return tr(EXISTS_WITH_DIFFERENT_USER_DATA_64);
    }
    if (t.userData32 == 0) {
      if (userData32(transfers.get(e, USER_DATA_32)) != userData32(transfers.get(p, USER_DATA_32))) {
        return tr(EXISTS_WITH_DIFFERENT_USER_DATA_32);
      }
    } else if (userData32(transfers.get(e, USER_DATA_32)) != t.userData32) {
      return tr(EXISTS_WITH_DIFFERENT_USER_DATA_32);
    }
    final long existingLedgerCodeFlags = transfers.get(e, LEDGER_CODE_FLAGS);
    if (t.ledger != 0 && Fields.ledger(existingLedgerCodeFlags) != t.ledger) return tr(EXISTS_WITH_DIFFERENT_LEDGER);
    if (t.code != 0 && Fields.code(existingLedgerCodeFlags) != t.code) return tr(EXISTS_WITH_DIFFERENT_CODE);
    return tr(EXISTS);
  }

  private boolean sameU128(int a, int b, int field) {
    return transfers.get(a, field) == transfers.get(b, field) && transfers.get(a, field + 1) == transfers.get(b, field + 1);
  }

  private int postOrVoid(long ts) {
    final TransferEvent t = this.t;
    final boolean isPost = (t.flags & TransferFlags.POST_PENDING_TRANSFER) != 0;
    final boolean isVoid = (t.flags & TransferFlags.VOID_PENDING_TRANSFER) != 0;
    if ((isPost && isVoid) || (t.flags & (TransferFlags.PENDING | TransferFlags.BALANCING_DEBIT
        | TransferFlags.BALANCING_CREDIT | TransferFlags.CLOSING_DEBIT | TransferFlags.CLOSING_CREDIT)) != 0) {
      return tr(FLAGS_ARE_MUTUALLY_EXCLUSIVE);
    }
    if (U128.isZero(t.pendingIdLo, t.pendingIdHi)) return tr(PENDING_ID_MUST_NOT_BE_ZERO);
    if (U128.isMax(t.pendingIdLo, t.pendingIdHi)) return tr(PENDING_ID_MUST_NOT_BE_INT_MAX);
    if (t.pendingIdLo == t.idLo && t.pendingIdHi == t.idHi) return tr(PENDING_ID_MUST_BE_DIFFERENT);
    if (t.timeout != 0) return tr(TIMEOUT_RESERVED_FOR_PENDING_TRANSFER);
    final int p = transfers.find(t.pendingIdLo, t.pendingIdHi);
    if (p < 0) return tr(PENDING_TRANSFER_NOT_FOUND);
    final long pendingLedgerCodeFlags = transfers.get(p, LEDGER_CODE_FLAGS);
    final int pendingFlags = Fields.flags(pendingLedgerCodeFlags);
    if ((pendingFlags & TransferFlags.PENDING) == 0) return tr(PENDING_TRANSFER_NOT_PENDING);
    final long pendingDebitAccountIdLo = transfers.get(p, DEBIT_ACCOUNT_ID);
    final long pendingDebitAccountIdHi = transfers.get(p, DEBIT_ACCOUNT_ID + 1);
    final long pendingCreditAccountIdLo = transfers.get(p, CREDIT_ACCOUNT_ID);
    final long pendingCreditAccountIdHi = transfers.get(p, CREDIT_ACCOUNT_ID + 1);
    if (!U128.isZero(t.debitAccountIdLo, t.debitAccountIdHi)
        && (t.debitAccountIdLo != pendingDebitAccountIdLo || t.debitAccountIdHi != pendingDebitAccountIdHi)) {
      return tr(PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID);
    }
    if (!U128.isZero(t.creditAccountIdLo, t.creditAccountIdHi)
        && (t.creditAccountIdLo != pendingCreditAccountIdLo || t.creditAccountIdHi != pendingCreditAccountIdHi)) {
      return tr(PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID);
    }
    if (t.ledger != 0 && t.ledger != Fields.ledger(pendingLedgerCodeFlags)) {
      return tr(PENDING_TRANSFER_HAS_DIFFERENT_LEDGER);
    }
    if (t.code != 0 && t.code != Fields.code(pendingLedgerCodeFlags)) return tr(PENDING_TRANSFER_HAS_DIFFERENT_CODE);
    final long pendingAmountLo = transfers.get(p, AMOUNT);
    final long pendingAmountHi = transfers.get(p, AMOUNT + 1);
    // A void's zero amount and a post's maximum amount stand for the pending amount.
    final boolean fullAmount = isVoid ? U128.isZero(t.amountLo, t.amountHi) : U128.isMax(t.amountLo, t.amountHi);
    final long amountLo = fullAmount ? pendingAmountLo : t.amountLo;
    final long amountHi = fullAmount ? pendingAmountHi : t.amountHi;
    if (U128.compare(amountLo, amountHi, pendingAmountLo, pendingAmountHi) > 0) {
      return tr(EXCEEDS_PENDING_TRANSFER_AMOUNT);
    }
    if (isVoid && U128.compare(amountLo, amountHi, pendingAmountLo, pendingAmountHi) < 0) {
      return tr(PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT);
    }
    final byte status = transfers.status(p);
    if (status == STATUS_POSTED) return tr(PENDING_TRANSFER_ALREADY_POSTED);
    if (status == STATUS_VOIDED) return tr(PENDING_TRANSFER_ALREADY_VOIDED);
    if (status == STATUS_EXPIRED) return tr(PENDING_TRANSFER_EXPIRED);
    final long pendingTimeout = transfers.timeout(p);
    if (pendingTimeout > 0
        && Long.compareUnsigned(transfers.timestamp(p) + pendingTimeout * NS_PER_S, ts) <= 0) {
      return tr(PENDING_TRANSFER_EXPIRED);
    }
    if ((t.flags & TransferFlags.IMPORTED) != 0 && importedTransferRegresses(ts)) {
      return tr(IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS);
    }
    final int dr = accounts.find(pendingDebitAccountIdLo, pendingDebitAccountIdHi);
    final int cr = accounts.find(pendingCreditAccountIdLo, pendingCreditAccountIdHi);
    if (!isVoid && (accounts.flags(dr) & AccountFlags.CLOSED) != 0) return tr(DEBIT_ACCOUNT_ALREADY_CLOSED);
    if (!isVoid && (accounts.flags(cr) & AccountFlags.CLOSED) != 0) return tr(CREDIT_ACCOUNT_ALREADY_CLOSED);

    // ---- success ----
    if (undo.isOpen()) {
      undo.accountSaved(accounts, dr);
      undo.accountSaved(accounts, cr);
      undo.statusChanged(p, status);
    }
    final boolean userData128Given = !U128.isZero(t.userData128Lo, t.userData128Hi);
    final int transfer = transfers.append(t.idLo, t.idHi, pendingDebitAccountIdLo, pendingDebitAccountIdHi,
        pendingCreditAccountIdLo, pendingCreditAccountIdHi, amountLo, amountHi, t.pendingIdLo, t.pendingIdHi,
        userData128Given ? t.userData128Lo : transfers.get(p, USER_DATA_128),
        userData128Given ? t.userData128Hi : transfers.get(p, USER_DATA_128 + 1),
        t.userData64 != 0 ? t.userData64 : transfers.get(p, USER_DATA_64),
        (t.userData32 != 0 ? t.userData32 : userData32(transfers.get(p, USER_DATA_32))) & 0xFFFF_FFFFL,
        ledgerCodeFlags(Fields.ledger(pendingLedgerCodeFlags), Fields.code(pendingLedgerCodeFlags), t.flags), ts);
    transfers.setStatus(p, isPost ? STATUS_POSTED : STATUS_VOIDED);
    accounts.subtract(dr, DEBITS_PENDING, pendingAmountLo, pendingAmountHi);
    accounts.subtract(cr, CREDITS_PENDING, pendingAmountLo, pendingAmountHi);
    if (isPost) {
      accounts.add(dr, DEBITS_POSTED, amountLo, amountHi);
      accounts.add(cr, CREDITS_POSTED, amountLo, amountHi);
    } else {
      if ((pendingFlags & TransferFlags.CLOSING_DEBIT) != 0) accounts.setFlag(dr, AccountFlags.CLOSED, false);
      if ((pendingFlags & TransferFlags.CLOSING_CREDIT) != 0) accounts.setFlag(cr, AccountFlags.CLOSED, false);
    }
    indexTransfer(transfer, dr, cr);
    return T_OK;
  }

  private boolean importedTransferRegresses(long ts) {
    final int newest = transfers.count() - 1;
    if (newest >= 0 && Long.compareUnsigned(ts, transfers.timestamp(newest)) <= 0) return true;
    return accounts.byTimestamp(ts) >= 0;
  }

  /** Appends the transfer to both accounts' lists (and their history); follows the balance updates. */
  private void indexTransfer(int transfer, int dr, int cr) {
    accounts.appendTransfer(dr, transfer);
    accounts.appendTransfer(cr, transfer);
    if (undo.isOpen()) undo.transferInserted(transfer);
  }

  // ---- Expiry (pulse) ----

  /** The earliest expiry time of a pending transfer, or {@link Long#MAX_VALUE} if none. */
  public long nextExpiry() {
    return expiry.next();
  }

  /** Expires (at most one batch of) pending transfers due at {@code pulseTimestamp}; returns how many. */
  public int pulse(long pulseTimestamp) {
    commitTimestamp = pulseTimestamp;
    int expired = 0;
    while (expired < LedgerBackend.BATCH_MAX) {
      final int p = expiry.pollDue(pulseTimestamp);
      if (p < 0) break;
      expire(p);
      expired++;
    }
    return expired;
  }

  private void expire(int p) {
    final int dr = accounts.find(transfers.get(p, DEBIT_ACCOUNT_ID), transfers.get(p, DEBIT_ACCOUNT_ID + 1));
    final int cr = accounts.find(transfers.get(p, CREDIT_ACCOUNT_ID), transfers.get(p, CREDIT_ACCOUNT_ID + 1));
    final int pendingFlags = transfers.flags(p);
    accounts.subtract(dr, DEBITS_PENDING, transfers.get(p, AMOUNT), transfers.get(p, AMOUNT + 1));
    accounts.subtract(cr, CREDITS_PENDING, transfers.get(p, AMOUNT), transfers.get(p, AMOUNT + 1));
    if ((pendingFlags & TransferFlags.CLOSING_DEBIT) != 0) accounts.setFlag(dr, AccountFlags.CLOSED, false);
    if ((pendingFlags & TransferFlags.CLOSING_CREDIT) != 0) accounts.setFlag(cr, AccountFlags.CLOSED, false);
    transfers.setStatus(p, STATUS_EXPIRED);
  }

  // ---- Test hook: setup_balances ----

  /** Overwrites an account's balances (test hook); returns false if the account does not exist. */
  public boolean setupBalances(UInt128 id, UInt128 debitsPending, UInt128 debitsPosted, UInt128 creditsPending,
      UInt128 creditsPosted) {
    final int a = accounts.find(id.lo(), id.hi());
    if (a < 0) return false;
    accounts.setBalances(a, debitsPending, debitsPosted, creditsPending, creditsPosted);
    setupTouched.set(a);
    return true;
  }

  // ---- Reads ----

  public int accountCount() {
    return accounts.count();
  }

  public int transferCount() {
    return transfers.count();
  }

  public int findAccount(long lo, long hi) {
    return accounts.find(lo, hi);
  }

  public int findTransfer(long lo, long hi) {
    return transfers.find(lo, hi);
  }

  // ---- Snapshots ----

  StateView view(long opNumber) {
    return new StateView(this, opNumber);
  }

  /** SHA-256 of the canonical state bytes (same batches and timestamps give the same digest). */
  public String stateDigest() {
    return StateCodec.digest(view(0));
  }

  /** Installs loaded state and rebuilds everything derived from it (id indexes, per-account lists). */
  void restore(long commitTs, long[] accountRecords, int nAccounts, long[][] transferRecords, byte[][] statuses,
      int nTransfers) {
    commitTimestamp = commitTs;
    accounts.restore(accountRecords, nAccounts);
    transfers.restore(transferRecords, statuses, nTransfers);
    // The transfer id index and the per-account lists are independent: build them on two threads.
    Thread idThread = new Thread(transfers::rebuildIndex, "ledger-restore-index");
    idThread.start();
    accounts.restoreTransferLists(transfers);
    try {
      idThread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while restoring", e);
    }
  }

  /** Rebuilds the expiry queue from the pending transfers (after loading a snapshot). */
  void rebuildExpiry() {
    expiry.rebuild();
  }

  /** Bytes held by the stored state's arrays (accounts, transfers, statuses, indexes, per-account lists). */
  public long memoryBytes() {
    return accounts.memoryBytes() + transfers.memoryBytes() + expiry.memoryBytes();
  }
}
