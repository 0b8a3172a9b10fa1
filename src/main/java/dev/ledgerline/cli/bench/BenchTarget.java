package dev.ledgerline.cli.bench;

import dev.ledgerline.cli.ConfigOptions;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.users.Role;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --url}, {@code --sub} and {@code --config}/{@code --set}: the running node a load test targets and the
 * plain user it acts as, whose token is signed with the key that configuration gives the node.
 */
final class BenchTarget {
  @Option(names = "--url", description = "Gateway base URL (default: ${DEFAULT-VALUE}).")
  String url = "http://127.0.0.1:8080";

  @Option(names = "--sub", description = "Subject of the signed token (default: ${DEFAULT-VALUE}).")
  String subject;

  /** The configuration whose key signs the token. */
  @Mixin
  ConfigOptions configOptions;

  /** Picocli's, when a command leaves the mixin to it. */
  BenchTarget() {
    this("bench");
  }

  BenchTarget(String subject) {
    this.subject = subject;
  }

  /** A token of {@code --sub} as a plain user: the benchmark pays for verification and ownership checks. */
  String userToken(LedgerlineConfig cfg) {
    return BenchHttp.token(cfg, subject, Role.USER);
  }

  /** {@link #userToken(LedgerlineConfig)} with the configuration of {@code --config}/{@code --set}. */
  String userToken() {
    return userToken(configOptions.load().current());
  }
}
