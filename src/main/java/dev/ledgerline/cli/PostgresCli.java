package dev.ledgerline.cli;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.infra.DataServiceException;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.ServiceMode;
import dev.ledgerline.infra.postgres.EmbeddedPostgresServer;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.node.EmbeddedServices;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Commands that work on the node's PostgreSQL (users, vault, reindex): attach to it, run, close it, and turn typed
 * failures into a one-line message and an exit code instead of a stack trace.
 */
final class PostgresCli {
  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;

  /** The command's work; returns its exit code. */
  interface Work {
    int run(LedgerlineConfig cfg, Pool pool);
  }

  private final CommandSpec spec;
  private final List<Class<? extends RuntimeException>> usageErrors;
  private final List<Class<? extends RuntimeException>> failures;

  /**
   * {@code usageErrors} exit with {@link #EXIT_USAGE} (with {@link ConfigException} and
   * {@link IllegalArgumentException}); {@code failures} with {@link #EXIT_FAILED} (with {@link DataServiceException}).
   */
  PostgresCli(CommandSpec spec, List<Class<? extends RuntimeException>> usageErrors,
      List<Class<? extends RuntimeException>> failures) {
    this.spec = spec;
    this.usageErrors = usageErrors;
    this.failures = failures;
  }

  int run(ConfigOptions node, Work work) {
    CliLogging.toStderr();
    Vertx vertx = Vertx.vertx();
    DataServices pg = null;
    try {
      LedgerlineConfig cfg = node.load().current();
      pg = DataServices.startPostgres(vertx, postgres(cfg)).await();
      return work.run(cfg, pg.pool());
    } catch (ConfigException | IllegalArgumentException e) {
      return fail(e.getMessage(), EXIT_USAGE);
    } catch (DataServiceException e) {
      return fail(e.getMessage(), EXIT_FAILED);
    } catch (RuntimeException e) {
      if (usageErrors.stream().anyMatch(c -> c.isInstance(e))) {
        return fail(e.getMessage(), EXIT_USAGE);
      }
      if (failures.stream().anyMatch(c -> c.isInstance(e))) {
        return fail(e.getMessage(), EXIT_FAILED);
      }
      throw e;
    } finally {
      if (pg != null) {
        pg.close().await();
      }
      vertx.close().await();
    }
  }

  /** Prints {@code message} to the command's error stream and returns {@code code}. */
  int fail(String message, int code) {
    spec.commandLine().getErr().println(message);
    spec.commandLine().getErr().flush();
    return code;
  }

  /** Prints {@code text} to the command's output. */
  void print(String text) {
    spec.commandLine().getOut().println(text);
    spec.commandLine().getOut().flush();
  }

  /** The node's PostgreSQL: external as configured; embedded, the running node's server or a start of its own. */
  static PostgresSettings postgres(LedgerlineConfig cfg) {
    PostgresSettings configured = EmbeddedServices.configuredPostgres(cfg).withPoolSize(1);
    if (configured.mode() == ServiceMode.EXTERNAL) {
      return configured;
    }
    return EmbeddedPostgresServer.running(configured).map(url -> PostgresSettings.external(url.url()).withPoolSize(1))
        .orElse(configured);
  }
}
