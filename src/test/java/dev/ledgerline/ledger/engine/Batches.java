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
import java.util.function.IntFunction;

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
    return results(r, new CreateAccountResult[a.length], CreateAccountResult.OK, CreateAccountResult::fromCode);
  }

  static CreateTransferResult[] transfers(StateMachine sm, long t, Transfer... x) {
    BatchResults r = new BatchResults();
    ByteBuffer b = Wire.encodeTransfers(List.of(x));
    sm.createTransfers(b, 0, x.length, t, r);
    return results(r, new CreateTransferResult[x.length], CreateTransferResult.OK, CreateTransferResult::fromCode);
  }

  /** One result per event: ok unless the state machine reported another for that index. */
  private static <R> R[] results(BatchResults reported, R[] out, R ok, IntFunction<R> fromCode) {
    Arrays.fill(out, ok);
    for (int i = 0; i < reported.count(); i++) out[reported.index(i)] = fromCode.apply(reported.code(i));
    return out;
  }
}
