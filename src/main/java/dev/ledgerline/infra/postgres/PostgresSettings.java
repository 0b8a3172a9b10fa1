package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.ServiceMode;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How the node gets its PostgreSQL.
 *
 * <ul>
 *   <li>{@link ServiceMode#EXTERNAL}: {@code url} ({@code postgresql://user:password@host:port/database}) says
 *       everything; the embedded fields are ignored.</li>
 *   <li>{@link ServiceMode#EMBEDDED}: the node runs PostgreSQL itself on 127.0.0.1 with its files under
 *       {@code dataDir}, which survives restarts. {@code port} 0 picks a free port at every start (the data does not
 *       depend on the port). {@code user} becomes the cluster's superuser and {@code database} is created if missing.
 *       A {@code null} password means: generate one when the cluster is created and keep it in
 *       {@code dataDir/password}. The password is fixed when the cluster is created; changing it later needs
 *       {@code ALTER ROLE}.</li>
 * </ul>
 */
public record PostgresSettings(
    ServiceMode mode,
    String url,
    Path dataDir,
    int port,
    String database,
    String user,
    String password,
    int poolSize) {

  public static final Path DEFAULT_DATA_DIR = Path.of("data", "pg");
  public static final String DEFAULT_DATABASE = "ledgerline";
  public static final String DEFAULT_USER = "ledgerline";
  public static final int DEFAULT_POOL_SIZE = 4;

  // Lower-case SQL identifiers only, so names never need quoting or case folding rules.
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  public PostgresSettings {
    Objects.requireNonNull(mode, "postgres mode");
    if (poolSize < 1) {
      throw new IllegalArgumentException("postgres pool size must be at least 1, got " + poolSize);
    }
    if (mode == ServiceMode.EXTERNAL) {
      PostgresUrl.parse(url);
    } else {
      Objects.requireNonNull(dataDir, "postgres data directory");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("postgres port must be 0 (any free port) or 1-65535, got " + port);
      }
      requireIdentifier(database, "database");
      requireIdentifier(user, "user");
      if (password != null && (password.isEmpty() || password.indexOf('\n') >= 0 || password.indexOf('\r') >= 0)) {
        throw new IllegalArgumentException("postgres password must be non-empty and on one line (or null to generate one)");
      }
    }
  }

  /** Embedded PostgreSQL under {@code data/pg}, any free port, generated password. */
  public static PostgresSettings embedded() {
    return embedded(DEFAULT_DATA_DIR);
  }

  public static PostgresSettings embedded(Path dataDir) {
    return new PostgresSettings(ServiceMode.EMBEDDED, null, dataDir, 0, DEFAULT_DATABASE, DEFAULT_USER, null,
        DEFAULT_POOL_SIZE);
  }

  public static PostgresSettings external(String url) {
    return new PostgresSettings(ServiceMode.EXTERNAL, url, null, 0, null, null, null, DEFAULT_POOL_SIZE);
  }

  public PostgresSettings withPort(int newPort) {
    return new PostgresSettings(mode, url, dataDir, newPort, database, user, password, poolSize);
  }

  public PostgresSettings withPassword(String newPassword) {
    return new PostgresSettings(mode, url, dataDir, port, database, user, newPassword, poolSize);
  }

  public PostgresSettings withDatabase(String newDatabase) {
    return new PostgresSettings(mode, url, dataDir, port, newDatabase, user, password, poolSize);
  }

  public PostgresSettings withUser(String newUser) {
    return new PostgresSettings(mode, url, dataDir, port, database, newUser, password, poolSize);
  }

  public PostgresSettings withPoolSize(int newPoolSize) {
    return new PostgresSettings(mode, url, dataDir, port, database, user, password, newPoolSize);
  }

  @Override
  public String toString() {
    return "PostgresSettings[mode=" + mode
        + (mode == ServiceMode.EXTERNAL
            ? ", url=" + PostgresUrl.parse(url).redacted()
            : ", dataDir=" + dataDir + ", port=" + port + ", database=" + database + ", user=" + user
                + ", password=" + (password == null ? "generated" : "***"))
        + ", poolSize=" + poolSize + "]";
  }

  private static void requireIdentifier(String value, String what) {
    if (value == null || !IDENTIFIER.matcher(value).matches()) {
      throw new IllegalArgumentException("postgres " + what + " must match " + IDENTIFIER.pattern() + ", got '"
          + value + "'");
    }
  }
}
