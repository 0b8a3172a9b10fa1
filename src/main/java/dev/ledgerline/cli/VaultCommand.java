package dev.ledgerline.cli;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.infra.DataServiceException;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.vault.KeyRing;
import dev.ledgerline.vault.KeyRotation;
import dev.ledgerline.vault.TokenVault;
import dev.ledgerline.vault.VaultException;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ledgerline vault rotate}: re-encrypts the token vault's rows under {@code vault.active-key}, against the
 * node's PostgreSQL (the running node's embedded server when there is one) while the node keeps serving.
 */
@Command(name = "vault", mixinStandardHelpOptions = true,
    description = "Operate the token vault in the node's PostgreSQL.",
    subcommands = {VaultCommand.Rotate.class})
public final class VaultCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = {"Re-encrypt every stored token that is not under vault.active-key, in batches, online.",
          "Prints a JSON summary. Exit 0: every row is under the active key; 1: rows failed or remain (run again"
              + " after fixing the cause); 2: bad configuration."})
  static final class Rotate implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions node;

    @Option(names = "--batch-size", paramLabel = "ROWS",
        description = "Rows per transaction (default: vault.rotation.batch-size).")
    Integer batchSize;

    @Override
    public Integer call() {
      CliLogging.toStderr();
      Vertx vertx = Vertx.vertx();
      DataServices pg = null;
      try {
        LedgerlineConfig cfg = node.load().current();
        KeyRing ring = KeyRing.fromConfig(cfg);
        int size = batchSize != null ? batchSize : cfg.vault().rotationBatchSize();
        if (size < 1) {
          return fail("--batch-size must be at least 1", UsersCommand.EXIT_USAGE);
        }
        pg = DataServices.startPostgres(vertx, UsersCommand.postgres(cfg)).await();
        TokenVault vault = TokenVault.open(pg.pool(), ring).await();
        KeyRotation.Summary summary = new KeyRotation(vault, size).run().await();
        spec.commandLine().getOut().println(summary.toJson().encodePrettily());
        spec.commandLine().getOut().flush();
        return summary.complete() ? 0 : UsersCommand.EXIT_FAILED;
      } catch (ConfigException e) {
        return fail(e.getMessage(), UsersCommand.EXIT_USAGE);
      } catch (VaultException | DataServiceException e) {
        return fail(e.getMessage(), UsersCommand.EXIT_FAILED);
      } finally {
        if (pg != null) {
          pg.close().await();
        }
        vertx.close().await();
      }
    }

    private int fail(String message, int code) {
      spec.commandLine().getErr().println(message);
      spec.commandLine().getErr().flush();
      return code;
    }
  }
}
