package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.UInt128;
import org.junit.jupiter.api.Test;

/** The saga's system accounts are recognised per ledger, also when remembered from an earlier check. */
class PaymentLedgerIdsTest {
  @Test
  void systemAccountsArePerLedgerAndStayRecognisedOnceRemembered() {
    for (int round = 0; round < 2; round++) {
      for (int ledger : new int[] {1, 7, -1}) {
        assertThat(PaymentLedgerIds.systemAccount(PaymentLedgerIds.clearingAccount(ledger), ledger)).isTrue();
        for (String provider : PaymentLedgerIds.PROVIDERS) {
          assertThat(PaymentLedgerIds.systemAccount(PaymentLedgerIds.providerAccount(ledger, provider), ledger))
              .isTrue();
        }
        assertThat(PaymentLedgerIds.systemAccount(PaymentLedgerIds.clearingAccount(ledger), ledger + 1)).isFalse();
        assertThat(PaymentLedgerIds.systemAccount(UInt128.of(42, 0), ledger)).isFalse();
      }
    }
  }
}
