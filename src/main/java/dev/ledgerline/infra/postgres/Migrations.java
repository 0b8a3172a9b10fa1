package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.DataServiceException;
import dev.ledgerline.infra.ServiceUnreachableException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings a database schema up to date with Flyway over JDBC. Migrations live on the classpath under
 * {@code db/migration} as {@code V<n>__<description>.sql}; each feature adds its own next version.
 */
public final class Migrations {

  public static final String DEFAULT_LOCATION = "classpath:db/migration";

  private Migrations() {
  }

  /** Applies pending migrations from {@link #DEFAULT_LOCATION}; returns how many were applied. Blocking. */
  public static int migrate(PostgresUrl target) {
    return migrate(target, DEFAULT_LOCATION);
  }

  /** Applies pending migrations from the given Flyway locations; returns how many were applied. Blocking. */
  public static int migrate(PostgresUrl target, String... locations) {
    Flyway flyway = Flyway.configure()
        .dataSource(target.jdbcUrl(), target.user(), target.password())
        .jdbcProperties(Map.of("connectTimeout", "5", "ApplicationName", "ledgerline-migrations"))
        .locations(locations)
        .failOnMissingLocations(true)
        .connectRetries(0)
        .cleanDisabled(true)
        .load();
    try {
      MigrateResult result = flyway.migrate();
      return result.migrationsExecuted;
    } catch (FlywayException e) {
      throw translate(target, e);
    }
  }

  private static DataServiceException translate(PostgresUrl target, FlywayException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException
          || t instanceof SocketTimeoutException) {
        return new ServiceUnreachableException("PostgreSQL at " + target.redacted() + " is unreachable: " + t, e);
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        if (sql.getSQLState().startsWith("08")) {
          return new ServiceUnreachableException("PostgreSQL at " + target.redacted() + " is unreachable: "
              + sql.getMessage(), e);
        }
        if (sql.getSQLState().startsWith("28")) {
          return new DataServiceException("PostgreSQL at " + target.redacted() + " rejected the login: "
              + sql.getMessage(), e);
        }
        if (sql.getSQLState().equals("3D000")) {
          return new DataServiceException("PostgreSQL at " + target.redacted() + ": " + sql.getMessage(), e);
        }
      }
    }
    return new MigrationException("Schema migration of " + target.redacted() + " failed: " + e.getMessage(), e);
  }
}
