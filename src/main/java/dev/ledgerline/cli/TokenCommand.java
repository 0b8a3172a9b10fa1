package dev.ledgerline.cli;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.auth.AuthConfigException;
import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.users.Role;
import dev.ledgerline.gateway.auth.TokenIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ledgerline token --sub alice --roles user --ttl 1h}: prints a token the node's gateway accepts, signed with
 * {@code auth.jwt.private-key} (or the development key on embedded defaults), with iss and aud from the
 * configuration, a random jti, iat and exp.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Print a signed API token (JWT) for the configured gateway.")
public final class TokenCommand implements Callable<Integer> {
  public static final int EXIT_USAGE = 2;

  @Spec
  CommandSpec spec;

  @Option(names = "--sub", required = true, paramLabel = "SUBJECT", description = "The sub claim (who calls).")
  String subject;

  @Option(names = "--roles", split = ",", paramLabel = "ROLE", defaultValue = "user",
      description = "Comma-separated roles: user, operator, admin (default: ${DEFAULT-VALUE}).")
  List<String> roles;

  @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h",
      description = "Lifetime such as 15m, 1h or 24h (default: ${DEFAULT-VALUE}).")
  String ttl;

  @Mixin
  ConfigOptions configOptions;

  @Override
  public Integer call() {
    CliLogging.toStderr();
    try {
      LedgerlineConfig cfg = configOptions.load().current();
      String token = TokenIssuer.issue(JwtSettings.from(cfg), subject, parseRoles(roles), parseTtl(ttl),
          Instant.now());
      spec.commandLine().getOut().println(token);
      spec.commandLine().getOut().flush();
      return 0;
    } catch (ConfigException | AuthConfigException | IllegalArgumentException e) {
      spec.commandLine().getErr().println(e.getMessage());
      spec.commandLine().getErr().flush();
      return EXIT_USAGE;
    }
  }

  static Set<Role> parseRoles(List<String> names) {
    Set<Role> out = new LinkedHashSet<>();
    for (String n : names) {
      Role r = Role.fromClaim(n.trim());
      if (r == null) {
        throw new IllegalArgumentException("unknown role \"" + n + "\"; allowed: user, operator, admin");
      }
      out.add(r);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--roles needs at least one of user, operator, admin");
    }
    return out;
  }

  static Duration parseTtl(String text) {
    if (!text.matches("[0-9]{1,9}(ms|s|m|h)")) {
      throw new IllegalArgumentException("--ttl " + text + " is not a duration such as 15m, 1h or 24h");
    }
    Duration d = LedgerlineConfig.duration(text);
    if (d.getSeconds() < 1) {
      throw new IllegalArgumentException("--ttl must be at least 1s");
    }
    return d;
  }
}
