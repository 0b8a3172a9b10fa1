package dev.ledgerline.cli;

import dev.ledgerline.config.ConfigService;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --config FILE} and {@code --set KEY=VALUE}: how every command that reads the node's configuration takes it. */
public final class ConfigOptions {
  @Option(names = "--config", paramLabel = "FILE",
      description = "Configuration file (default: conf/ledgerline.yaml when present, else built-in defaults).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one configuration key; repeatable; beats every other source.")
  Map<String, String> sets = new LinkedHashMap<>();

  /** The {@code --config} file given, or null. */
  public Path file() {
    return config;
  }

  /** The {@code --set} keys given. */
  public Map<String, String> sets() {
    return sets;
  }

  /** Loads and validates the configuration; throws {@link dev.ledgerline.config.ConfigException}. */
  public ConfigService load() {
    return ConfigService.load(ConfigService.Source.of(ConfigService.Source.defaultFile(config), sets));
  }
}
