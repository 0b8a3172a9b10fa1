package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/** Test helpers: feed model records to a bare {@link StateMachine}. */
final class Batches {
  private Batches() {}

  static UInt128 u(long v) {
    return UInt128.of(v);
  }

  static CreateAccountResult[] accounts(StateMachine sm, long t, Account... a) {
    BatchResults r = new BatchResults();
    ByteBuffer b = Wire.encodeAccounts(List.of(a));
    sm.createAccounts(b, 0, a.length, t, r);
    CreateAccountResult[] out = new CreateAccountResult[a.length];
    Arrays.fill(out, CreateAccountResult.OK);
    for (int i = 0; i < r.count(); i++) out[r.index(i)] = CreateAccountResult.fromCode(r.code(i));
    return out;
  }

  static CreateTransferResult[] transfers(StateMachine sm, long t, Transfer... x) {
    BatchResults r = new BatchResults();
    ByteBuffer b = Wire.encodeTransfers(List.of(x));
    sm.createTransfers(b, 0, x.length, t, r);
    CreateTransferResult[] out = new CreateTransferResult[x.length];
    Arrays.fill(out, CreateTransferResult.OK);
    for (int i = 0; i < r.count(); i++) out[r.index(i)] = CreateTransferResult.fromCode(r.code(i));
    return out;
  }
}
