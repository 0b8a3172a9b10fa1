package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Fields.*;

import java.nio.ByteBuffer;

/**
 * The create_transfer event being executed, decoded once into named fields. One instance is reused for every
 * event, so decoding allocates nothing.
 */
final class TransferEvent {
  long idLo;
  long idHi;
  long debitAccountIdLo;
  long debitAccountIdHi;
  long creditAccountIdLo;
  long creditAccountIdHi;
  long amountLo;
  long amountHi;
  long pendingIdLo;
  long pendingIdHi;
  long userData128Lo;
  long userData128Hi;
  long userData64;
  int userData32;
  /** Seconds (u32). */
  int timeout;
  int ledger;
  int code;
  int flags;

  void load(ByteBuffer events, int off) {
    idLo = events.getLong(off + ID * 8);
    idHi = events.getLong(off + (ID + 1) * 8);
    debitAccountIdLo = events.getLong(off + DEBIT_ACCOUNT_ID * 8);
    debitAccountIdHi = events.getLong(off + (DEBIT_ACCOUNT_ID + 1) * 8);
    creditAccountIdLo = events.getLong(off + CREDIT_ACCOUNT_ID * 8);
    creditAccountIdHi = events.getLong(off + (CREDIT_ACCOUNT_ID + 1) * 8);
    amountLo = events.getLong(off + AMOUNT * 8);
    amountHi = events.getLong(off + (AMOUNT + 1) * 8);
    pendingIdLo = events.getLong(off + PENDING_ID * 8);
    pendingIdHi = events.getLong(off + (PENDING_ID + 1) * 8);
    userData128Lo = events.getLong(off + USER_DATA_128 * 8);
    userData128Hi = events.getLong(off + (USER_DATA_128 + 1) * 8);
    userData64 = events.getLong(off + USER_DATA_64 * 8);
    final long userData32Word = events.getLong(off + USER_DATA_32 * 8);
    userData32 = Fields.userData32(userData32Word);
    timeout = upperHalf(userData32Word);
    final long ledgerCodeFlags = events.getLong(off + LEDGER_CODE_FLAGS * 8);
    ledger = Fields.ledger(ledgerCodeFlags);
    code = Fields.code(ledgerCodeFlags);
    flags = Fields.flags(ledgerCodeFlags);
  }

  /** The user_data_32 word as stored: user_data_32, then the timeout. */
  long userData32Word() {
    return (userData32 & 0xFFFF_FFFFL) | ((long) timeout << 32);
  }
}
