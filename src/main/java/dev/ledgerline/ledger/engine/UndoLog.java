package dev.ledgerline.ledger.engine;

import java.util.Arrays;

/**
 * What a linked chain changed, so a failing chain can be rolled back. It is written only while a chain is open;
 * entries are longs (operands, then the entry type last) and are undone newest first.
 */
final class UndoLog {
  private static final long ACCOUNT_SAVED = 1;
  private static final long TRANSFER_INSERTED = 2;
  private static final long STATUS_CHANGED = 3;
  private static final long ACCOUNT_INSERTED = 4;

  private boolean open;
  private long[] log = new long[1024];
  private int length;

  /** Whether a chain is open (changes must be recorded). */
  boolean isOpen() {
    return open;
  }

  void open() {
    open = true;
    length = 0;
  }

  /** The chain succeeded: keep its changes. */
  void persist() {
    open = false;
    length = 0;
  }

  private void ensure(int extra) {
    if (length + extra > log.length) log = Arrays.copyOf(log, Math.max(log.length * 2, length + extra));
  }

  /** Saves the account's record before it changes. */
  void accountSaved(AccountStore accounts, int a) {
    ensure(Fields.LONGS + 2);
    accounts.copyTo(a, log, length);
    length += Fields.LONGS;
    log[length++] = a;
    log[length++] = ACCOUNT_SAVED;
  }

  void accountInserted(int a) {
    ensure(2);
    log[length++] = a;
    log[length++] = ACCOUNT_INSERTED;
  }

  /** A transfer was appended and added to its accounts' lists. */
  void transferInserted(int t) {
    ensure(2);
    log[length++] = t;
    log[length++] = TRANSFER_INSERTED;
  }

  void statusChanged(int t, byte previous) {
    ensure(3);
    log[length++] = t;
    log[length++] = previous;
    log[length++] = STATUS_CHANGED;
  }

  /** The chain failed: undo its changes, newest first. */
  void discard(AccountStore accounts, TransferStore transfers) {
    while (length > 0) {
      long type = log[--length];
      if (type == ACCOUNT_SAVED) {
        int a = (int) log[--length];
        length -= Fields.LONGS;
        accounts.copyFrom(log, length, a);
      } else if (type == TRANSFER_INSERTED) {
        int t = (int) log[--length];
        accounts.popTransfer(accounts.find(transfers.get(t, Fields.DEBIT_ACCOUNT_ID),
            transfers.get(t, Fields.DEBIT_ACCOUNT_ID + 1)));
        accounts.popTransfer(accounts.find(transfers.get(t, Fields.CREDIT_ACCOUNT_ID),
            transfers.get(t, Fields.CREDIT_ACCOUNT_ID + 1)));
        transfers.removeLast(t);
      } else if (type == STATUS_CHANGED) {
        byte previous = (byte) log[--length];
        int t = (int) log[--length];
        transfers.setStatus(t, previous);
      } else if (type == ACCOUNT_INSERTED) {
        accounts.removeLast((int) log[--length]);
      } else {
        throw new IllegalStateException("bad undo entry " + type);
      }
    }
    open = false;
  }
}
