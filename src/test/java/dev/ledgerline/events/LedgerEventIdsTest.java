package dev.ledgerline.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.UInt128;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The event store's derived ids: the same inputs always give the same id, different inputs different ones. */
class LedgerEventIdsTest {

  @Test
  void idsAreStableAndDistinct() {
    UInt128 agg = UInt128.of(5, 9);
    assertThat(LedgerEventIds.transfer(7, agg, 1)).isEqualTo(LedgerEventIds.transfer(7, agg, 1));
    Set<UInt128> ids = new HashSet<>();
    for (long v = 1; v <= 1000; v++) ids.add(LedgerEventIds.transfer(7, agg, v));
    ids.add(LedgerEventIds.transfer(8, agg, 1));
    ids.add(LedgerEventIds.transfer(7, UInt128.of(6, 9), 1));
    ids.add(LedgerEventIds.logAccount(7, agg));
    ids.add(LedgerEventIds.logAccount(7, UInt128.of(6, 9)));
    ids.add(LedgerEventIds.sinkAccount(7));
    ids.add(LedgerEventIds.sinkAccount(8));
    assertThat(ids).hasSize(1006).noneMatch(UInt128::isZero).noneMatch(UInt128::isMax);
    // The event-log account is never the sink: the ledger refuses a transfer between one account and itself.
    assertThat(LedgerEventIds.logAccount(7, UInt128.ZERO)).isNotEqualTo(LedgerEventIds.sinkAccount(7));
  }
}
