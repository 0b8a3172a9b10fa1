package dev.ledgerline.ledger.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM running the engine under load with SIGKILL at random points, several times: after every
 * restart each acknowledged transfer is there (or, if it failed, is not), none exists twice, and verify is clean.
 */
class CrashTest {

  @TempDir
  Path dir;

  @Test
  void acknowledgedTransfersSurviveSigkill() throws Exception {
    Random rnd = new Random();
    Map<Long, Integer> acked = new HashMap<>(); // id -> result code (0 = ok)
    int cycles = 4;
    for (int cycle = 0; cycle < cycles; cycle++) {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx512m", "-cp", System.getProperty("java.class.path"), CrashWorker.class.getName(), dir.toString(),
          Long.toString((cycle + 1) * 1_000_000_000L), Long.toString(rnd.nextLong()))
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) lines.add(l);
        } catch (Exception ignored) {
          // the process was killed
        }
      });
      reader.start();
      int wanted = 3 + rnd.nextInt(40);
      int seen = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (seen < wanted && System.nanoTime() < deadline) {
        String l = lines.poll(100, TimeUnit.MILLISECONDS);
        if (l != null && l.startsWith("ACK ")) {
          record(l, acked);
          seen++;
        }
      }
      assertThat(seen).as("acknowledged batches before the kill in cycle " + cycle).isEqualTo(wanted);
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      reader.join(10_000);
      // Lines printed before the kill were acknowledged too.
      for (String l; (l = lines.poll()) != null; ) if (l.startsWith("ACK ")) record(l, acked);
      checkAfterRestart(acked);
    }
  }

  private static void record(String line, Map<Long, Integer> acked) {
    String[] parts = line.split(" ", 4);
    long first = Long.parseLong(parts[1]);
    int n = Integer.parseInt(parts[2]);
    for (int i = 0; i < n; i++) acked.put(first + i, 0);
    if (parts.length > 3 && !parts[3].isEmpty()) {
      for (String f : parts[3].split(",")) {
        if (f.isEmpty()) continue;
        String[] kv = f.split(":");
        acked.put(first + Integer.parseInt(kv[0]), Integer.parseInt(kv[1]));
      }
    }
  }

  private void checkAfterRestart(Map<Long, Integer> acked) throws Exception {
    EngineConfig config = new EngineConfig(dir, Duration.ZERO, true, false, true);
    try (LedgerEngine e = LedgerEngine.open(config)) {
      List<Long> ids = new ArrayList<>(acked.keySet());
      Set<Long> found = new HashSet<>();
      for (int from = 0; from < ids.size(); from += 8190) {
        List<UInt128> chunk = ids.subList(from, Math.min(ids.size(), from + 8190)).stream()
            .map(UInt128::of).toList();
        for (Transfer t : e.lookupTransfers(chunk).toCompletableFuture().get()) found.add(t.id().lo());
      }
      for (Map.Entry<Long, Integer> a : acked.entrySet()) {
        assertThat(found.contains(a.getKey())).as("transfer " + a.getKey() + " acknowledged with result "
            + a.getValue()).isEqualTo(a.getValue() == 0);
      }
      // Every stored transfer exists once: page through all of them by timestamp.
      Set<Long> all = new HashSet<>();
      long min = 0;
      while (true) {
        List<Transfer> page = e.queryTransfers(new QueryFilter(UInt128.ZERO, 0, 0, 0, 0, min, 0, 8190, 0))
            .toCompletableFuture().get();
        for (Transfer t : page) assertThat(all.add(t.id().lo())).as("duplicate " + t.id()).isTrue();
        if (page.size() < 8190) break;
        min = page.get(page.size() - 1).timestamp() + 1;
      }
      assertThat(all).containsAll(found);
      // A transient failure is remembered: retrying that id gets id_already_failed.
      Long transientId = acked.entrySet().stream()
          .filter(x -> x.getValue() == CreateTransferResult.DEBIT_ACCOUNT_NOT_FOUND.code())
          .map(Map.Entry::getKey).findFirst().orElse(null);
      if (transientId != null) {
        var r = e.createTransfers(List.of(Transfer.of(UInt128.of(transientId), UInt128.of(4), UInt128.of(5),
            UInt128.of(1), 1, 1, 0))).toCompletableFuture().get();
        assertThat(r).singleElement().extracting(x -> x.result()).isEqualTo(CreateTransferResult.ID_ALREADY_FAILED);
        acked.put(transientId, CreateTransferResult.ID_ALREADY_FAILED.code());
      }
    }
    LedgerVerifier.Report report = LedgerVerifier.verify(dir);
    assertThat(report.violations()).isEmpty();
  }
}
