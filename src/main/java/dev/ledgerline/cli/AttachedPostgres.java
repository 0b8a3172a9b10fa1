package dev.ledgerline.cli;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.infra.DataServices;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How a command that works on the node's PostgreSQL runs ({@code users}, {@code reindex}): reads the configuration,
 * attaches to the node's PostgreSQL ({@link UsersCommand#postgres}), runs its work, prints the JSON answer, and maps
 * failures to exit codes: {@link UsersCommand#EXIT_USAGE} for the caller's mistakes, {@link UsersCommand#EXIT_FAILED}
 * for what went wrong while working. Anything else is a bug and propagates.
 */
final class AttachedPostgres {
  private AttachedPostgres() {}

  /** The command's work on the attached pool; its answer is printed. */
  @FunctionalInterface
  interface Work {
    Future<JsonObject> run(LedgerlineConfig config, Pool pool);
  }

  static int run(CommandSpec spec, ConfigOptions node, Work work, List<Class<? extends RuntimeException>> usage,
      List<Class<? extends RuntimeException>> failed) {
    CliLogging.toStderr();
    Vertx vertx = Vertx.vertx();
    DataServices pg = null;
    try {
      LedgerlineConfig cfg = node.load().current();
      pg = DataServices.startPostgres(vertx, UsersCommand.postgres(cfg)).await();
      JsonObject out = work.run(cfg, pg.pool()).await();
      spec.commandLine().getOut().println(out.encodePrettily());
      spec.commandLine().getOut().flush();
      return 0;
    } catch (RuntimeException e) {
      if (usage.stream().anyMatch(c -> c.isInstance(e))) return fail(spec, e.getMessage(), UsersCommand.EXIT_USAGE);
      if (failed.stream().anyMatch(c -> c.isInstance(e))) return fail(spec, e.getMessage(), UsersCommand.EXIT_FAILED);
      throw e;
    } finally {
      if (pg != null) {
        pg.close().await();
      }
      vertx.close().await();
    }
  }

  static int fail(CommandSpec spec, String message, int code) {
    spec.commandLine().getErr().println(message);
    spec.commandLine().getErr().flush();
    return code;
  }
}
