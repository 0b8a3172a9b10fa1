package dev.ledgerline.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.Poll;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class ConfigReloadTest {

  /** Replaces the file in one step, so the watcher never reads a half-written file. */
  private static void replace(Path file, String content) throws java.io.IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void reloadAppliesValidReloadableChangesAndRefusesInvalidOnes(@TempDir Path dir, Vertx vertx) throws Exception {
    Path file = dir.resolve("ledgerline.yaml");
    Files.writeString(file, "logging:\n  level: INFO\nconfig:\n  scan-interval: 50ms\n");
    ConfigService service = ConfigService.load(new ConfigService.Source(file, Map.of(), Map.of(), Map.of()));
    CopyOnWriteArrayList<String> seen = new CopyOnWriteArrayList<>();
    service.onReload(c -> seen.add(c.logging().level()));
    service.watch(vertx);

    // An invalid value is refused: the running value stays and no listener hears of it.
    replace(file, "logging:\n  level: LOUD\nconfig:\n  scan-interval: 50ms\n");
    Poll.until(Duration.ofSeconds(20), "the invalid file is refused", () -> service.refusedReloads() >= 1);
    assertThat(service.current().logging().level()).isEqualTo("INFO");
    assertThat(seen).isEmpty();

    // A valid change of a reloadable key is applied.
    replace(file, "logging:\n  level: DEBUG\nconfig:\n  scan-interval: 50ms\n");
    Poll.until(Duration.ofSeconds(20), "the valid change is applied", () -> service.appliedReloads() >= 1);
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
