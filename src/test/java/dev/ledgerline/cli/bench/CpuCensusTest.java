package dev.ledgerline.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The census's reading of {@code /proc/<pid>/stat} and its per-unit arithmetic. */
class CpuCensusTest {
  @Test
  void statFieldsAreCountedFromTheLastParenthesisOfTheCommandName() {
    String stat = "4242 (postgres: a (b) c) S 17 4242 4242 0 -1 4194560 300 0 0 0 120 45 7 3 20 0 1 0 100 0 0";
    assertThat(CpuCensus.times(stat)).containsExactly(17, 120, 45, 7, 3);
  }

  @Test
  void costsAreDividedByTheUnitsAndRowsListedMostFirst() {
    CpuCensus.Snapshot from = new CpuCensus.Snapshot(1_000_000_000L, 500, 1_000,
        Map.of("payments", 10L, "events_outbox", 5L, "idle", 3L));
    CpuCensus.Snapshot to = new CpuCensus.Snapshot(1_500_000_000L, 600, 1_640,
        Map.of("payments", 90L, "events_outbox", 225L, "idle", 3L, "new_table", 10L));
    List<String> lines = CpuCensus.perUnit(from, to, 10, "payment");
    // 500 ms of this JVM, 100 ticks (1,000 ms) of PostgreSQL and 640 commits over 10 payments.
    assertThat(lines.get(0)).startsWith("CPU per payment: this JVM 50.0 ms, PostgreSQL 100.0 ms;")
        .contains("per payment: 64.0");
    assertThat(lines.get(1)).isEqualTo("rows written per payment: events_outbox 22.0, payments 8.0, new_table 1.0");
    assertThat(CpuCensus.perUnit(from, new CpuCensus.Snapshot(2_000_000_000L, -1, 1_000, Map.of()), 4, "payment")
        .get(0)).contains("PostgreSQL n/a").contains("this JVM 250.0 ms");
    // Three rows over a hundred units round to 0.0 each: background writes, not the unit's.
    assertThat(CpuCensus.perUnit(from, new CpuCensus.Snapshot(2_000_000_000L, 600, 1_100,
        Map.of("payments", 13L, "events_outbox", 5L)), 100, "payment").get(1))
        .isEqualTo("rows written per payment: none");
  }
}
