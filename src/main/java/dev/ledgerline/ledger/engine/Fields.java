package dev.ledgerline.ledger.engine;

import java.nio.ByteBuffer;

/**
 * Where each field of a stored account or transfer sits, in longs. A record is 16 longs, which is exactly its
 * 128-byte little-endian wire layout, so the same offsets (times 8) address an event in a request buffer. A u128
 * field takes two longs, low word first.
 */
final class Fields {
  private Fields() {}

  static final int LONGS = 16;
  static final int BYTES = 128;

  static final int ID = 0;

  // Accounts.
  static final int DEBITS_PENDING = 2;
  static final int DEBITS_POSTED = 4;
  static final int CREDITS_PENDING = 6;
  static final int CREDITS_POSTED = 8;

  // Transfers.
  static final int DEBIT_ACCOUNT_ID = 2;
  static final int CREDIT_ACCOUNT_ID = 4;
  static final int AMOUNT = 6;
  static final int PENDING_ID = 8;

  // Both.
  static final int USER_DATA_128 = 10;
  static final int USER_DATA_64 = 12;
  /** user_data_32 in the low half; the account's reserved or the transfer's timeout in the high half. */
  static final int USER_DATA_32 = 13;
  /** ledger in the low half, then code (16 bits), then flags (16 bits). */
  static final int LEDGER_CODE_FLAGS = 14;
  static final int TIMESTAMP = 15;

  static int ledger(long ledgerCodeFlags) {
    return (int) ledgerCodeFlags;
  }

  static int code(long ledgerCodeFlags) {
    return (int) (ledgerCodeFlags >>> 32) & 0xFFFF;
  }

  static int flags(long ledgerCodeFlags) {
    return (int) (ledgerCodeFlags >>> 48) & 0xFFFF;
  }

  static long ledgerCodeFlags(int ledger, int code, int flags) {
    return (ledger & 0xFFFF_FFFFL) | ((long) (code & 0xFFFF) << 32) | ((long) (flags & 0xFFFF) << 48);
  }

  static int userData32(long userData32Word) {
    return (int) userData32Word;
  }

  /** The high half of the user_data_32 word: a transfer's timeout (seconds, u32) or an account's reserved. */
  static int upperHalf(long userData32Word) {
    return (int) (userData32Word >>> 32);
  }

  /** A long field of the event at byte offset {@code off} of a request buffer. */
  static long eventLong(ByteBuffer events, int off, int field) {
    return events.getLong(off + field * 8);
  }

  /** The flags of the event at byte offset {@code off}. */
  static int eventFlags(ByteBuffer events, int off) {
    return events.getShort(off + LEDGER_CODE_FLAGS * 8 + 6) & 0xFFFF;
  }
}
