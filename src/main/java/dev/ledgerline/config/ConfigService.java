package dev.ledgerline.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the configuration with vertx-config (file, then system properties, then environment variables, then
 * {@code --set}) and keeps it current: when the file changes, reloadable keys are re-validated and applied; a change
 * that fails validation is refused and the running values stay.
 */
public final class ConfigService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigService.class);
  /** Used when no --config is given. */
  public static final Path DEFAULT_FILE = Path.of("conf", "ledgerline.yaml");

  private final ConfigResolver resolver = new ConfigResolver();
  private final Source source;
  private final AtomicReference<LedgerlineConfig> current;
  private final List<Consumer<LedgerlineConfig>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong applied = new AtomicLong();
  private ConfigRetriever watcher;

  /** Where configuration comes from: a file (null = built-in defaults), the JVM, the environment, --set. */
  public record Source(Path file, Map<String, String> sysProps, Map<String, String> env, Map<String, String> sets) {
    public static Source of(Path file, Map<String, String> sets) {
      Map<String, String> sys = System.getProperties().stringPropertyNames().stream()
          .filter(n -> n.startsWith(ConfigResolver.SYS_PREFIX))
          .collect(Collectors.toMap(n -> n, System::getProperty));
      return new Source(file, sys, System.getenv(), sets);
    }

    /** The explicit file, else conf/ledgerline.yaml when present, else none (defaults). */
    public static Path defaultFile(Path explicit) {
      if (explicit != null) {
        return explicit;
      }
      return Files.isRegularFile(DEFAULT_FILE) ? DEFAULT_FILE : null;
    }
  }

  private ConfigService(Source source, LedgerlineConfig initial) {
    this.source = source;
    this.current = new AtomicReference<>(initial);
  }

  /**
   * Reads and validates the configuration. Runs before the node's own Vert.x exists (its options depend on the
   * configuration), so it uses a short-lived Vert.x of its own.
   *
   * @throws ConfigException when any key is unknown, mistyped or out of range
   */
  public static ConfigService load(Source source) {
    Vertx tmp = Vertx.vertx();
    try {
      JsonObject file = readFile(tmp, source.file()).toCompletionStage().toCompletableFuture().join();
      return new ConfigService(source, new ConfigResolver().resolve(file, source.sysProps(), source.env(),
          source.sets()));
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof ConfigException) {
        throw (ConfigException) e.getCause();
      }
      throw new ConfigException("config", "invalid configuration: cannot read " + source.file() + ": "
          + (e.getCause() == null ? e : e.getCause()).getMessage());
    } finally {
      tmp.close();
    }
  }

  private static Future<JsonObject> readFile(Vertx vertx, Path file) {
    if (file == null) {
      return Future.succeededFuture(new JsonObject());
    }
    if (!Files.isRegularFile(file)) {
      return Future.failedFuture(new ConfigException("config", "invalid configuration: file " + file
          + " does not exist or is not a regular file"));
    }
    ConfigRetriever r = ConfigRetriever.create(vertx, new ConfigRetrieverOptions().setScanPeriod(0)
        .addStore(fileStore(file)));
    return r.getConfig().eventually(() -> {
      r.close();
      return Future.succeededFuture();
    });
  }

  private static ConfigStoreOptions fileStore(Path file) {
    return new ConfigStoreOptions().setType("file").setFormat("yaml")
        .setConfig(new JsonObject().put("path", file.toString()));
  }

  public LedgerlineConfig current() {
    return current.get();
  }

  /** Called with the new configuration after reloadable keys changed. */
  public void onReload(Consumer<LedgerlineConfig> listener) {
    listeners.add(listener);
  }

  public long refusedReloads() {
    return refused.get();
  }

  public long appliedReloads() {
    return applied.get();
  }

  /** Starts watching the file on the node's Vert.x, if there is a file and scanning is on. */
  public void watch(Vertx vertx) {
    long period = current().config().scanInterval().toMillis();
    if (source.file() == null || period <= 0) {
      return;
    }
    watcher = ConfigRetriever.create(vertx, new ConfigRetrieverOptions().setScanPeriod(period)
        .addStore(fileStore(source.file())));
    watcher.listen(change -> reload(change.getNewConfiguration()));
  }

  /** Applies a new file content, as the file watch does; public for tests of what reloads trigger. */
  public void reload(JsonObject file) {
    LedgerlineConfig before = current.get();
    JsonObject next;
    try {
      next = resolver.resolveJson(file, source.sysProps(), source.env(), source.sets());
    } catch (ConfigException e) {
      refused.incrementAndGet();
      LOG.warn("configuration reload refused, running values kept: {}", e.getMessage());
      return;
    }
    JsonObject merged = before.json().copy();
    List<String> changes = new ArrayList<>();
    for (String key : ConfigSchema.get().leaves().keySet()) {
      Object was = ConfigPaths.get(before.json(), key);
      Object now = ConfigPaths.get(next, key);
      if (Objects.equals(was, now)) {
        continue;
      }
      if (ConfigSchema.get().isReloadable(key)) {
        ConfigPaths.put(merged, key, now);
        changes.add(key + ": " + ConfigSchema.render(was) + " -> " + ConfigSchema.render(now));
      } else {
        LOG.warn("configuration key {} changed in the file but is not reloadable; it takes effect at restart", key);
      }
    }
    if (changes.isEmpty()) {
      return;
    }
    LedgerlineConfig updated = LedgerlineConfig.from(merged);
    current.set(updated);
    LOG.info("configuration reloaded: {}", String.join("; ", changes));
    for (Consumer<LedgerlineConfig> l : listeners) {
      try {
        l.accept(updated);
      } catch (RuntimeException e) {
        LOG.error("configuration listener failed", e);
      }
    }
    // Counted only once every listener has run, so whoever waits on the count sees the reload fully applied.
    applied.incrementAndGet();
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
  }
}
