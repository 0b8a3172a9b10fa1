package dev.ledgerline.ledger.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.Operation;
import org.junit.jupiter.api.Test;

class WalOperationsTest {

  /** The engine logs a create batch under its operation's number; replay reads it back with the log's constants. */
  @Test
  void createBatchesAreLoggedUnderTheirOperationsNumber() {
    assertThat(Operation.CREATE_ACCOUNTS.code()).isEqualTo(Wal.OP_CREATE_ACCOUNTS);
    assertThat(Operation.CREATE_TRANSFERS.code()).isEqualTo(Wal.OP_CREATE_TRANSFERS);
  }
}
