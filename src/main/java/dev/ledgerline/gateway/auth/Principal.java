package dev.ledgerline.gateway.auth;

import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * The caller of a request, from a verified token.
 *
 * @param jti the token id ({@code jti}), null only when {@code auth.jwt.require-jti} is false and the token has none
 * @param expiresAt the token's {@code exp}
 */
public record Principal(String subject, Set<Role> roles, String jti, Instant expiresAt) {
  /** Where {@link BearerAuthHandler} puts the principal in the routing context. */
  public static final String KEY = "ledgerline.principal";

  public Principal {
    Objects.requireNonNull(subject, "subject");
    roles = Set.copyOf(roles);
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** The authenticated caller of a request, or null before authentication. */
  public static Principal of(RoutingContext rc) {
    return rc.get(KEY);
  }
}
