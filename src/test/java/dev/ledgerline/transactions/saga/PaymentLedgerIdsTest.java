package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.LedgerEventIds;
import dev.ledgerline.ledger.model.Ids;
import dev.ledgerline.ledger.model.ReservedIds;
import dev.ledgerline.ledger.model.UInt128;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every id the platform derives for itself is in the reserved range the public API refuses, and is distinct per
 * ledger, payment and step; the ids clients usually make are not in it.
 */
class PaymentLedgerIdsTest {
  @Test
  void everyDerivedIdIsReservedAndDistinct() {
    Set<UInt128> seen = new HashSet<>();
    for (int ledger : new int[] {1, 7, -1}) {
      assertThat(seen.add(PaymentLedgerIds.clearingAccount(ledger))).isTrue();
      for (String provider : PaymentLedgerIds.PROVIDERS) {
        assertThat(seen.add(PaymentLedgerIds.providerAccount(ledger, provider))).isTrue();
      }
      assertThat(seen.add(LedgerEventIds.sinkAccount(ledger))).isTrue();
      UInt128 aggregate = UInt128.of(ledger, 9);
      assertThat(seen.add(LedgerEventIds.logAccount(ledger, aggregate))).isTrue();
      assertThat(seen.add(LedgerEventIds.transfer(ledger, aggregate, 1))).isTrue();
      assertThat(seen.add(LedgerEventIds.transfer(ledger, aggregate, 2))).isTrue();
    }
    for (int i = 0; i < 3; i++) {
      String payment = UUID.randomUUID().toString();
      for (String step : PaymentLedgerIds.STEPS) assertThat(seen.add(PaymentLedgerIds.transfer(payment, step))).isTrue();
    }
    assertThat(seen).allSatisfy(id -> {
      assertThat(ReservedIds.reserved(id)).as("%s", id).isTrue();
      assertThat(id.isZero() || id.isMax()).isFalse();
    });
  }

  @Test
  void theIdsClientsMakeAreNotReserved() {
    assertThat(ReservedIds.reserved(Ids.next())).isFalse();
    assertThat(ReservedIds.reserved(UInt128.of(1001))).isFalse();
    assertThat(ReservedIds.reserved(UInt128.MAX)).isFalse();
    // Only the top 32 bits count: one bit off the tag is an ordinary id.
    assertThat(ReservedIds.reserved(UInt128.of(0, ReservedIds.TAG << 32))).isTrue();
    assertThat(ReservedIds.reserved(UInt128.of(0, (ReservedIds.TAG ^ 1) << 32))).isFalse();
    // An id derived for a client that lands in the range moves out of it; any other stays as it is.
    UInt128 landed = UInt128.of(7, ReservedIds.TAG << 32 | 5);
    assertThat(ReservedIds.reserved(ReservedIds.outside(landed))).isFalse();
    assertThat(ReservedIds.outside(landed).lo()).isEqualTo(7);
    assertThat(ReservedIds.outside(UInt128.of(1001))).isEqualTo(UInt128.of(1001));
  }
}
