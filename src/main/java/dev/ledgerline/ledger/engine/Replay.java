package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;

/** Applies write-ahead log records to a state machine (start-up recovery and offline verification). */
final class Replay {
  private final BatchResults scratch = new BatchResults();

  void apply(StateMachine sm, Wal.Record r) {
    ByteBuffer body = r.body();
    switch (r.operation()) {
      case Wal.OP_CREATE_ACCOUNTS -> sm.createAccounts(body, 0, body.remaining() / 128, r.timestamp(), scratch);
      case Wal.OP_CREATE_TRANSFERS -> sm.createTransfers(body, 0, body.remaining() / 128, r.timestamp(), scratch);
      case Wal.OP_PULSE -> sm.pulse(r.timestamp());
      case Wal.OP_SETUP_BALANCES -> sm.setupBalances(u128(body, 0), u128(body, 16), u128(body, 32), u128(body, 48),
          u128(body, 64));
      case Wal.OP_FENCE -> sm.fenceEpoch = body.getLong(0);
      default -> throw new IllegalStateException("unknown operation " + r.operation() + " at " + r.offset());
    }
  }

  private static UInt128 u128(ByteBuffer b, int off) {
    return UInt128.of(b.getLong(off), b.getLong(off + 8));
  }
}
