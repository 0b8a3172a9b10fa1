package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.testing.NodeExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine's settings come from the node's typed configuration. */
class LedgerBackendsTest {

  @Test
  void walArchiveIsOffByDefaultAndOnWhenConfigured() {
    EngineConfig byDefault = LedgerBackends.engineConfig(NodeExtension.configWith(Map.of()).current().ledger().engine());
    assertThat(byDefault.archive()).isFalse();
    assertThat(byDefault.fsync()).isTrue();
    EngineConfig archiving = LedgerBackends.engineConfig(
        NodeExtension.configWith(Map.of("ledger.wal.archive", "true")).current().ledger().engine());
    assertThat(archiving.archive()).isTrue();
    assertThat(EngineConfig.from(k -> k.equals("ledger.wal.archive") ? "true" : null).archive()).isTrue();
  }
}
