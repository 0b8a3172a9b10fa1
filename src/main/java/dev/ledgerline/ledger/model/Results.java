package dev.ledgerline.ledger.model;

import java.util.Arrays;
import java.util.List;

/** Expands TigerBeetle-shaped results (failures only, ascending index) to one result per event. */
public final class Results {
  private Results() {}

  public static CreateAccountResult[] expandAccounts(List<CreateAccountsResult> failures, int batchSize) {
    CreateAccountResult[] out = new CreateAccountResult[batchSize];
    Arrays.fill(out, CreateAccountResult.OK);
    for (CreateAccountsResult r : failures) out[r.index()] = r.result();
    return out;
  }

  public static CreateTransferResult[] expandTransfers(List<CreateTransfersResult> failures, int batchSize) {
    CreateTransferResult[] out = new CreateTransferResult[batchSize];
    Arrays.fill(out, CreateTransferResult.OK);
    for (CreateTransfersResult r : failures) out[r.index()] = r.result();
    return out;
  }
}
