package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.LedgerException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * {@code ledger.engine.*} configuration.
 *
 * @param dataDir {@code ledger.engine.data-dir} (default {@code data/ledger})
 * @param snapshotInterval {@code ledger.engine.snapshot-interval} (default 60 s); zero disables periodic snapshots
 * @param fsync {@code ledger.engine.fsync} (default true); false is refused unless {@code unsafeNoFsync}
 * @param unsafeNoFsync {@code ledger.engine.unsafe-no-fsync}: explicit acknowledgement that acknowledged writes may
 *     be lost (benchmarks only)
 * @param snapshotOnClose take a snapshot on a clean close so the next start replays nothing
 * @param archive {@code ledger.wal.archive} (default false): log segments covered by a snapshot are moved to
 *     {@code archive/} in the data directory instead of deleted
 */
public record EngineConfig(Path dataDir, Duration snapshotInterval, boolean fsync, boolean unsafeNoFsync,
    boolean snapshotOnClose, boolean archive) {

  public static final String PREFIX = "ledger.engine.";

  public EngineConfig {
    if (dataDir == null) throw new LedgerException("ledger.engine.data-dir must be set");
    if (snapshotInterval == null || snapshotInterval.isNegative()) {
      throw new LedgerException("ledger.engine.snapshot-interval must be zero or positive");
    }
    if (!fsync && !unsafeNoFsync) {
      throw new LedgerException("ledger.engine.fsync=false loses acknowledged transfers on a crash; "
          + "it is refused unless ledger.engine.unsafe-no-fsync=true is also set (benchmarks only)");
    }
  }

  /** Without archiving: covered log segments are deleted. */
  public EngineConfig(Path dataDir, Duration snapshotInterval, boolean fsync, boolean unsafeNoFsync,
      boolean snapshotOnClose) {
    this(dataDir, snapshotInterval, fsync, unsafeNoFsync, snapshotOnClose, false);
  }

  public static EngineConfig defaults() {
    return of(Path.of("data", "ledger"));
  }

  public static EngineConfig of(Path dataDir) {
    return new EngineConfig(dataDir, Duration.ofSeconds(60), true, false, true);
  }

  public EngineConfig withSnapshotInterval(Duration interval) {
    return new EngineConfig(dataDir, interval, fsync, unsafeNoFsync, snapshotOnClose, archive);
  }

  public EngineConfig withSnapshotOnClose(boolean on) {
    return new EngineConfig(dataDir, snapshotInterval, fsync, unsafeNoFsync, on, archive);
  }

  public EngineConfig withArchive(boolean on) {
    return new EngineConfig(dataDir, snapshotInterval, fsync, unsafeNoFsync, snapshotOnClose, on);
  }

  /**
   * Reads {@code ledger.engine.*} and {@code ledger.wal.archive} (kebab-case) through {@code lookup}; missing keys
   * keep their defaults.
   */
  public static EngineConfig from(Function<String, String> lookup) {
    String dir = lookup.apply(PREFIX + "data-dir");
    String interval = lookup.apply(PREFIX + "snapshot-interval");
    String fsync = lookup.apply(PREFIX + "fsync");
    String unsafe = lookup.apply(PREFIX + "unsafe-no-fsync");
    return new EngineConfig(dir == null ? Path.of("data", "ledger") : Path.of(dir),
        interval == null ? Duration.ofSeconds(60) : parseDuration(interval),
        fsync == null || Boolean.parseBoolean(fsync), unsafe != null && Boolean.parseBoolean(unsafe), true,
        Boolean.parseBoolean(lookup.apply("ledger.wal.archive")));
  }

  private static Duration parseDuration(String s) {
    String v = s.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      if (v.endsWith("s")) return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      if (v.endsWith("m")) return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      return Duration.parse(s.trim());
    } catch (RuntimeException e) {
      throw new LedgerException("ledger.engine.snapshot-interval: not a duration: " + s, e);
    }
  }
}
