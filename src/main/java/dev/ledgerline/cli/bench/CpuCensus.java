package dev.ledgerline.cli.bench;

import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a measured window cost the machine: this JVM's CPU, the CPU of the PostgreSQL server the node uses (when it runs
 * on this machine, as the embedded one does: its postmaster and every child, read from Linux's {@code /proc}), and what
 * PostgreSQL committed and wrote, per table. Divided by the work done in the window, it says where a unit of work's
 * CPU goes; on a machine whose cores are all busy, that is what bounds throughput.
 */
final class CpuCensus {
  /** Linux reports process times in USER_HZ, 100 per second on every architecture the JVM runs on here. */
  private static final double TICKS_PER_MS = 0.1;

  /** One reading; {@code postgresTicks} is -1 where {@code /proc} cannot be read. */
  record Snapshot(long jvmNanos, long postgresTicks, long commits, Map<String, Long> writes) {}

  private final Pool pool;
  private final long postmaster;

  private CpuCensus(Pool pool, long postmaster) {
    this.pool = pool;
    this.postmaster = postmaster;
  }

  /** A census over {@code pool}'s server; its processes are found through one backend's parent. */
  static CpuCensus of(Pool pool) {
    long backend = pool.query("SELECT pg_backend_pid()").execute().await().iterator().next().getInteger(0);
    return new CpuCensus(pool, parentOf(backend));
  }

  Snapshot take() {
    long commits = pool.query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        .execute().await().iterator().next().getLong(0);
    Map<String, Long> writes = new HashMap<>();
    for (Row r : pool.query("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")
        .execute().await()) {
      writes.put(r.getString(0), r.getLong(1));
    }
    return new Snapshot(((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime(), postgresTicks(), commits, writes);
  }

  /**
   * {@code tally}'s measured window; with a census (not null), read just inside the window, and the cost per unit
   * counted added to {@code cost}. The seconds measured.
   */
  static double measure(CpuCensus census, LatencyTally tally, BenchWindow window, String unit, List<String> cost)
      throws InterruptedException {
    if (census == null) return tally.measure(window);
    Snapshot[] at = new Snapshot[2];
    double seconds = tally.measure(window, () -> at[0] = census.take(), () -> at[1] = census.take());
    cost.addAll(perUnit(at[0], at[1], tally.completed(), unit));
    return seconds;
  }

  /** The cost per unit of work between two readings, as lines to print. */
  static List<String> perUnit(Snapshot from, Snapshot to, long units, String unit) {
    List<String> out = new ArrayList<>();
    if (units <= 0) return out;
    String postgres = from.postgresTicks() < 0 || to.postgresTicks() < 0 ? "n/a"
        : String.format(Locale.ROOT, "%.1f ms", (to.postgresTicks() - from.postgresTicks()) / TICKS_PER_MS / units);
    out.add(String.format(Locale.ROOT, "CPU per %s: this JVM %.1f ms, PostgreSQL %s; PostgreSQL transactions "
        + "committed per %s: %.1f (pg_stat_database, flushed about once a second)", unit,
        (to.jvmNanos() - from.jvmNanos()) / 1e6 / units, postgres, unit,
        (double) (to.commits() - from.commits()) / units));
    StringBuilder rows = new StringBuilder("rows written per " + unit + ":");
    to.writes().entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - from.writes().getOrDefault(e.getKey(), 0L)))
        .filter(e -> (double) e.getValue() / units >= 0.05) // what rounds to 0.0 (background writes) is left out
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> rows.append(String.format(Locale.ROOT, " %s %.1f,", e.getKey(), (double) e.getValue() / units)));
    out.add(rows.charAt(rows.length() - 1) == ',' ? rows.substring(0, rows.length() - 1) : rows + " none");
    return out;
  }

  /** The postmaster's own and reaped children's time, plus every live child's. */
  private long postgresTicks() {
    try {
      long[] master = times(Files.readString(Path.of("/proc", Long.toString(postmaster), "stat")));
      long total = master[1] + master[2] + master[3] + master[4];
      try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
        for (Path p : (Iterable<Path>) procs::iterator) {
          String name = p.getFileName().toString();
          if (name.isEmpty() || !Character.isDigit(name.charAt(0))) continue;
          try {
            long[] t = times(Files.readString(p.resolve("stat")));
            if (t[0] == postmaster) total += t[1] + t[2];
          } catch (IOException | RuntimeException gone) {
            // The process ended meanwhile: its time is in the postmaster's reaped children's once it is reaped.
          }
        }
      }
      return total;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long parentOf(long pid) {
    try {
      return times(Files.readString(Path.of("/proc", Long.toString(pid), "stat")))[0];
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * From a {@code /proc/<pid>/stat} line: the parent's pid, then utime, stime, cutime and cstime (fields 4, 14 to
   * 17). The command name (field 2) is in parentheses and may hold spaces and parentheses itself, so the fields are
   * counted from the last closing parenthesis.
   */
  static long[] times(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    // f[0] is field 3 (the state): field n is f[n - 3].
    return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]),
        Long.parseLong(f[14])};
  }
}
