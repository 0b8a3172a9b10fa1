package dev.ledgerline.cli;

import dev.ledgerline.vault.KeyRing;
import dev.ledgerline.vault.KeyRotation;
import dev.ledgerline.vault.TokenVault;
import dev.ledgerline.vault.VaultException;
import java.util.List;
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
      PostgresCli cli = new PostgresCli(spec, List.of(), List.of(VaultException.class));
      if (batchSize != null && batchSize < 1) {
        return cli.fail("--batch-size must be at least 1", PostgresCli.EXIT_USAGE);
      }
      return cli.run(node, (cfg, pool) -> {
        KeyRing ring = KeyRing.fromConfig(cfg);
        int size = batchSize != null ? batchSize : cfg.vault().rotationBatchSize();
        TokenVault vault = TokenVault.open(pool, ring).await();
        KeyRotation.Summary summary = new KeyRotation(vault, size).run().await();
        cli.print(summary.toJson().encodePrettily());
        return summary.complete() ? 0 : PostgresCli.EXIT_FAILED;
      });
    }
  }
}
