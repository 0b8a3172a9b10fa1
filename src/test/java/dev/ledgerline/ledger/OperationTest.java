package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.ResultCode;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import java.util.List;
import org.junit.jupiter.api.Test;

class OperationTest {
  private static final UInt128 A = UInt128.of(1);
  private static final UInt128 B = UInt128.of(2);

  @Test
  void eachOperationHasTigerBeetlesNumberNameAndResultCodes() {
    assertThat(Operation.CREATE_ACCOUNTS.code()).isEqualTo(129);
    assertThat(Operation.CREATE_TRANSFERS.code()).isEqualTo(130);
    assertThat(Operation.CREATE_ACCOUNTS.tbName()).isEqualTo("create_accounts");
    assertThat(Operation.CREATE_TRANSFERS.address()).isEqualTo(LedgerApi.CREATE_TRANSFERS);
    assertThat(Operation.CREATE_ACCOUNTS.resultCodes()).containsExactly((ResultCode[]) CreateAccountResult.values());
    assertThat(Operation.CREATE_TRANSFERS.resultCodes().get(0)).isEqualTo(CreateTransferResult.OK);
    assertThat(Operation.CREATE_TRANSFERS.eventSize()).isEqualTo(128);
  }

  @Test
  void theFirstEventDecidesImportedAndTheLastOneAnOpenChain() {
    Transfer plain = transfer(0);
    Transfer imported = transfer(TransferFlags.IMPORTED);
    Transfer linked = transfer(TransferFlags.LINKED);
    Operation<Transfer, CreateTransfersResult> op = Operation.CREATE_TRANSFERS;
    assertThat(op.imported(List.of(imported, plain))).isTrue();
    assertThat(op.imported(List.of(plain, imported))).isFalse();
    assertThat(op.endsOpenChain(List.of(plain, linked))).isTrue();
    assertThat(op.endsOpenChain(List.of(linked, plain))).isFalse();
    assertThat(op.imported(List.of())).isFalse();
    assertThat(op.endsOpenChain(List.of())).isFalse();
    // Account flags have their own bit for imported.
    Account importedAccount = Account.of(A, 1, 1, AccountFlags.IMPORTED);
    assertThat(Operation.CREATE_ACCOUNTS.imported(List.of(importedAccount))).isTrue();
    assertThat(Operation.CREATE_ACCOUNTS.imported(List.of(Account.of(A, 1, 1, TransferFlags.IMPORTED)))).isFalse();
  }

  @Test
  void resultsAreBuiltFromWireCodesAndRebasedToARequestsOwnEvents() {
    CreateAccountsResult r = Operation.CREATE_ACCOUNTS.result(7, CreateAccountResult.EXISTS.code());
    assertThat(r).isEqualTo(new CreateAccountsResult(7, CreateAccountResult.EXISTS));
    assertThat(Operation.CREATE_ACCOUNTS.rebase(r, 5))
        .isEqualTo(new CreateAccountsResult(2, CreateAccountResult.EXISTS));
    CreateTransfersResult t = new CreateTransfersResult(3, CreateTransferResult.EXCEEDS_CREDITS);
    assertThat(Operation.CREATE_TRANSFERS.rebase(t, 3))
        .isEqualTo(new CreateTransfersResult(0, CreateTransferResult.EXCEEDS_CREDITS));
  }

  @Test
  void eventsRoundTripThroughTheirWireLayout() {
    List<Transfer> transfers = List.of(transfer(TransferFlags.PENDING), transfer(0));
    Operation<Transfer, CreateTransfersResult> op = Operation.CREATE_TRANSFERS;
    assertThat(Wire.decode(op.encode(transfers), op.layout())).isEqualTo(transfers);
    List<CreateTransfersResult> results = List.of(new CreateTransfersResult(1, CreateTransferResult.EXISTS));
    assertThat(op.decodeResults(Wire.encodeResults(results))).isEqualTo(results);
  }

  private static Transfer transfer(int flags) {
    return new Transfer(UInt128.of(10), A, B, UInt128.of(5), UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, flags, 0);
  }
}
