package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransfersCommittedCodecTest {
  @Test
  void roundTripsTransfersAndAccountsFromAnOffset() {
    TransfersCommitted event = new TransfersCommitted(
        List.of(Transfer.of(UInt128.of(7), UInt128.of(1), UInt128.of(2), UInt128.of(250), 1, 1, 0).withTimestamp(99),
            Transfer.of(UInt128.of(8), UInt128.of(2), UInt128.of(3), UInt128.of(5), 1, 1, 0).withTimestamp(100)),
        List.of(Account.of(UInt128.of(1), 1, 1, 0), Account.of(UInt128.of(2), 1, 1, 0),
            Account.of(UInt128.of(3), 1, 1, 0)));
    // The event bus hands the codec a buffer that already holds its own header.
    Buffer wire = Buffer.buffer("header");
    LedgerApi.TRANSFERS_COMMITTED_CODEC.encodeToWire(wire, event);
    assertThat(LedgerApi.TRANSFERS_COMMITTED_CODEC.decodeFromWire(6, wire)).isEqualTo(event);
    assertThat(LedgerApi.TRANSFERS_COMMITTED_CODEC.name()).isEqualTo("ledger.transfers-committed");
  }
}
