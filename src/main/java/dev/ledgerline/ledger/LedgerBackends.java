package dev.ledgerline.ledger;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.tigerbeetle.TigerBeetleBackend;

/** Opens the backend that {@code ledger.backend} names. Blocking (the engine replays its log): call off the loop. */
public final class LedgerBackends {
  private LedgerBackends() {}

  public static LedgerBackend open(LedgerlineConfig.Ledger config) {
    switch (config.backend()) {
      case EMBEDDED:
        return LedgerEngine.open(engineConfig(config.engine()));
      case TIGERBEETLE:
        return TigerBeetleBackend.open(UInt128.parse(config.tigerbeetleClusterId()), config.tigerbeetleAddresses());
      default:
        throw new IllegalArgumentException("unknown ledger backend " + config.backend());
    }
  }

  /** The engine's own record from {@code ledger.engine.*}; its constructor refuses fsync off without the flag. */
  public static EngineConfig engineConfig(LedgerlineConfig.Engine e) {
    return new EngineConfig(e.dataDir(), e.snapshotInterval(), e.fsync(), e.unsafeNoFsync(), true, e.walArchive());
  }
}
