package dev.ledgerline.node;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.config.LedgerlineConfig.Mode;
import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.PortInUseException;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.infra.redis.RedisSettings;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Which data services a node's roles need, their settings from configuration, and where other nodes find them. */
public final class EmbeddedServices {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServices.class);
  /** Written next to the node's data while it runs embedded servers, so scripts can point other nodes at them. */
  public static final String URLS_FILE = "embedded-urls.json";

  private static final Set<Role> NEED_POSTGRES = EnumSet.of(Role.GATEWAY, Role.TRANSACTIONS);
  // The transactions role's event handler writes the transaction:<id> cache entries.
  private static final Set<Role> NEED_REDIS = EnumSet.of(Role.GATEWAY, Role.TRANSACTIONS, Role.CACHE);

  private EmbeddedServices() {}

  /** PostgreSQL settings, or null when no role of this node uses PostgreSQL. */
  public static PostgresSettings postgres(LedgerlineConfig config) {
    // The embedded ledger keeps its write lease in PostgreSQL.
    boolean embeddedLedger = config.node().roles().contains(Role.LEDGER)
        && config.ledger().backend() == LedgerlineConfig.LedgerBackendKind.EMBEDDED;
    if (!embeddedLedger && config.node().roles().stream().noneMatch(NEED_POSTGRES::contains)) {
      return null;
    }
    return configuredPostgres(config);
  }

  /** The configured PostgreSQL ({@code postgres.*}), whichever roles the node has: for tools that work beside it. */
  public static PostgresSettings configuredPostgres(LedgerlineConfig config) {
    LedgerlineConfig.Postgres p = config.postgres();
    PostgresSettings s = p.mode() == Mode.EXTERNAL ? PostgresSettings.external(p.url())
        : PostgresSettings.embedded(p.dataDir()).withPort(p.embeddedPort());
    return s.withPoolSize(p.poolSize());
  }

  /** Redis settings, or null when no role of this node uses Redis. */
  public static RedisSettings redis(LedgerlineConfig config) {
    if (config.node().roles().stream().noneMatch(NEED_REDIS::contains)) {
      return null;
    }
    LedgerlineConfig.Redis r = config.redis();
    String dir = config.redisSettings().dataDir();
    RedisSettings s = r.mode() == Mode.EXTERNAL ? RedisSettings.external(r.url())
        : (dir.isEmpty() ? RedisSettings.embedded() : RedisSettings.embedded(Path.of(dir))).withPort(r.embeddedPort());
    return s.withPoolSize(r.poolSize());
  }

  /**
   * An embedded server's taken port as a refusal naming its configuration key, e.g. {@code postgres.embedded-port
   * 15432 on 127.0.0.1 is in use}; any other failure unchanged.
   */
  static Throwable namePortInUse(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PortInUseException) {
        PortInUseException e = (PortInUseException) t;
        String key = e.service().contains("PostgreSQL") ? "postgres.embedded-port" : "redis.embedded-port";
        return ListenerAddress.refused(key, "127.0.0.1", e.port(), failure);
      }
    }
    return failure;
  }

  /** Writes the embedded servers' URLs (with their passwords) to a file only the node's user can read. */
  static void publishUrls(LedgerlineConfig config, DataServices services) {
    JsonObject urls = new JsonObject();
    services.embeddedPostgres().ifPresent(pg -> services.postgresUrl()
        .ifPresent(u -> urls.put("postgres", u.url())));
    services.embeddedRedis().ifPresent(r -> services.redisUrl().ifPresent(u -> urls.put("redis", u)));
    if (urls.isEmpty()) {
      return;
    }
    Path file = config.node().dataDir().resolve(URLS_FILE);
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, urls.encodePrettily());
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("cannot write {}: {}", file, e.getMessage());
    }
  }

  static void withdrawUrls(LedgerlineConfig config) {
    try {
      Files.deleteIfExists(config.node().dataDir().resolve(URLS_FILE));
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", URLS_FILE, e.getMessage());
    }
  }
}
