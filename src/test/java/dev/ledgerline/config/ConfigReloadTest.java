package dev.ledgerline.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigReloadTest {
  private Vertx vertx;

  @AfterEach
  void close() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(20); // polling interval, not synchronisation: the condition is re-checked until the deadline
    }
  }

  /** Replaces the file in one step, so the watcher never reads a half-written file. */
  private static void replace(Path file, String content) throws java.io.IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void reloadAppliesValidReloadableChangesAndRefusesInvalidOnes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ledgerline.yaml");
    Files.writeString(file, "logging:\n  level: INFO\nconfig:\n  scan-interval: 50ms\n");
    ConfigService service = ConfigService.load(new ConfigService.Source(file, Map.of(), Map.of(), Map.of()));
    CopyOnWriteArrayList<String> seen = new CopyOnWriteArrayList<>();
    service.onReload(c -> seen.add(c.logging().level()));
    vertx = Vertx.vertx();
    service.watch(vertx);

    // An invalid value is refused: the running value stays and no listener hears of it.
    replace(file, "logging:\n  level: LOUD\nconfig:\n  scan-interval: 50ms\n");
    await(() -> service.refusedReloads() >= 1);
    assertThat(service.current().logging().level()).isEqualTo("INFO");
    assertThat(seen).isEmpty();

    // A valid change of a reloadable key is applied.
    replace(file, "logging:\n  level: DEBUG\nconfig:\n  scan-interval: 50ms\n");
    await(() -> service.appliedReloads() >= 1);
    assertThat(service.current().logging().level()).isEqualTo("DEBUG");
    assertThat(seen).containsExactly("DEBUG");
  }

  @Test
  void changesToKeysThatNeedARestartAreNotApplied(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ledgerline.yaml");
    Files.writeString(file, "gateway:\n  port: 8081\n");
    ConfigService service = ConfigService.load(new ConfigService.Source(file, Map.of(), Map.of(), Map.of()));
    service.reload(new io.vertx.core.json.JsonObject().put("gateway", new io.vertx.core.json.JsonObject()
        .put("port", 8082)).put("logging", new io.vertx.core.json.JsonObject().put("level", "WARN")));
    assertThat(service.current().gateway().port()).isEqualTo(8081);
    assertThat(service.current().logging().level()).isEqualTo("WARN");
  }
}
