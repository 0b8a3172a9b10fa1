package dev.ledgerline.testing;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.users.Role;
import dev.ledgerline.gateway.auth.TokenIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/** Bearer tokens a node accepts: signed with the node's own (development) key, for any subject and roles. */
public final class Tokens {
  /** Long enough for any test, short enough to be obviously a test token. */
  public static final Duration VALIDITY = Duration.ofMinutes(10);

  private final JwtSettings settings;

  private Tokens(JwtSettings settings) {
    this.settings = settings;
  }

  public static Tokens of(ConfigService config) {
    return new Tokens(JwtSettings.from(config.current()));
  }

  /** The node's JWT settings (issuer, audience, keys), for tests that sign or check tokens themselves. */
  public JwtSettings settings() {
    return settings;
  }

  public String issue(String subject, Role... roles) {
    return issue(subject, VALIDITY, roles);
  }

  public String issue(String subject, Duration validity, Role... roles) {
    return TokenIssuer.issue(settings, subject, Set.of(roles), validity, Instant.now());
  }

  public String user(String subject) {
    return issue(subject, Role.USER);
  }

  public String operator(String subject) {
    return issue(subject, Role.OPERATOR);
  }
}
