package dev.ledgerline.ledger.model;

import java.util.Arrays;
import java.util.List;

/** Expands TigerBeetle-shaped results (failures only, ascending index) to one result per event. */
public final class Results {
  private Results() {}

  public static CreateAccountResult[] expandAccounts(List<CreateAccountsResult> failures, int batchSize) {
    return expand(failures, new CreateAccountResult[batchSize], CreateAccountResult.OK);
  }

  public static CreateTransferResult[] expandTransfers(List<CreateTransfersResult> failures, int batchSize) {
    return expand(failures, new CreateTransferResult[batchSize], CreateTransferResult.OK);
  }

  /** Fills {@code out} (one slot per event) with {@code ok} and the failures' results. */
  @SuppressWarnings("unchecked")
  public static <C extends ResultCode> C[] expand(List<? extends EventResult> failures, C[] out, C ok) {
    Arrays.fill(out, ok);
    for (EventResult r : failures) out[r.index()] = (C) r.result();
    return out;
  }
}
