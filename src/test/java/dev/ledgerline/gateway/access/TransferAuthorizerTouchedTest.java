package dev.ledgerline.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The accounts a request's transfers touch, whose cached balances the write drops before its answer: a post or void
 * may name no account (TigerBeetle takes its pending transfer's), so those come from the pending transfer.
 */
class TransferAuthorizerTouchedTest {
  private static Transfer transfer(long id, long debit, long credit, long pendingId, int flags) {
    return new Transfer(UInt128.of(id), UInt128.of(debit), UInt128.of(credit), UInt128.of(10), UInt128.of(pendingId),
        UInt128.ZERO, 0, 0, 0, 1, 1, flags, 0);
  }

  @Test
  void aPostOrVoidNamingNoAccountTouchesItsPendingTransfersAccounts() {
    Transfer pending = transfer(100, 1, 2, 0, TransferFlags.PENDING);
    Transfer post = transfer(101, 0, 0, 100, TransferFlags.POST_PENDING_TRANSFER);
    Transfer voided = transfer(102, 0, 0, 100, TransferFlags.VOID_PENDING_TRANSFER);
    assertThat(TransferAuthorizer.touched(List.of(post), Map.of(pending.id(), pending)))
        .containsExactly(UInt128.of(1), UInt128.of(2));
    assertThat(TransferAuthorizer.touched(List.of(voided), Map.of(pending.id(), pending)))
        .containsExactly(UInt128.of(1), UInt128.of(2));
  }

  @Test
  void plainTransfersTouchTheirOwnAccountsAndAnUnknownPendingTransferNone() {
    Transfer plain = transfer(200, 3, 4, 0, 0);
    Transfer unknown = transfer(201, 0, 0, 999, TransferFlags.POST_PENDING_TRANSFER);
    assertThat(TransferAuthorizer.touched(List.of(plain, unknown), Map.of()))
        .containsExactly(UInt128.of(3), UInt128.of(4));
  }

  @Test
  void aPendingTransferEarlierInTheRequestsChainIsFoundThere() {
    Transfer pending = transfer(300, 5, 6, 0, TransferFlags.PENDING | TransferFlags.LINKED);
    Transfer post = transfer(301, 0, 0, 300, TransferFlags.POST_PENDING_TRANSFER);
    Transfer other = transfer(302, 7, 8, 0, 0);
    assertThat(TransferAuthorizer.touched(List.of(pending, post, other), Map.of()))
        .containsExactly(UInt128.of(5), UInt128.of(6), UInt128.of(7), UInt128.of(8));
  }
}
