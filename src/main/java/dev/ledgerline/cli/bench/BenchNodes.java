package dev.ledgerline.cli.bench;

import dev.ledgerline.infra.Processes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Settings of a throw-away node a benchmark starts in its own process: free ports, its own data under {@code dir}. */
final class BenchNodes {
  private BenchNodes() {
  }

  /**
   * Free gateway and management ports, PostgreSQL, ledger and node data under {@code dir}, Redis in memory, and rate
   * limits that never bind (the benchmark measures throughput, not the limiter's refusals).
   */
  static Map<String, String> settings(Path dir) {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("management.port", String.valueOf(Processes.freeLoopbackPort()));
    sets.put("gateway.port", String.valueOf(Processes.freeLoopbackPort()));
    sets.put("postgres.data-dir", dir.resolve("pg").toString());
    sets.put("ledger.engine.data-dir", dir.resolve("ledger").toString());
    sets.put("node.data-dir", dir.resolve("node").toString());
    sets.put("redis.data-dir", "");
    sets.put("gateway.rate-limits", "{\"default\":{\"capacity\":1000000,\"refill-per-second\":1000000}}");
    return sets;
  }

  /** The gateway port of {@link #settings}. */
  static int gatewayPort(Map<String, String> sets) {
    return Integer.parseInt(sets.get("gateway.port"));
  }
}
