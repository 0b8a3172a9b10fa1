package dev.ledgerline.gateway.auth;

import dev.ledgerline.users.Permission;
import dev.ledgerline.users.Role;
import dev.ledgerline.users.RolePermissions;
import dev.ledgerline.users.User;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * The caller of a request. A verified token gives the subject, its roles claim, jti and exp; once the user is loaded
 * ({@link UserCheck}), roles and permissions are the stored user's, not the token's.
 *
 * @param jti the token id ({@code jti}), null only when {@code auth.jwt.require-jti} is false and the token has none
 * @param expiresAt the token's {@code exp}
 * @param permissions what the caller may do; until the user is loaded, what the token's roles would give
 */
public record Principal(String subject, Set<Role> roles, String jti, Instant expiresAt, Set<Permission> permissions) {
  /** Where {@link BearerAuthHandler} puts the principal in the routing context. */
  public static final String KEY = "ledgerline.principal";

  public Principal {
    Objects.requireNonNull(subject, "subject");
    roles = Set.copyOf(roles);
    Objects.requireNonNull(expiresAt, "expiresAt");
    permissions = Set.copyOf(permissions);
  }

  /** A token's principal, with the permissions its roles have under the default sets. */
  public Principal(String subject, Set<Role> roles, String jti, Instant expiresAt) {
    this(subject, roles, jti, expiresAt, RolePermissions.defaults().effective(roles, Set.of(), Set.of()));
  }

  /** The same token, acting as the stored user: their roles and effective permissions. */
  public Principal as(User user, RolePermissions sets) {
    return new Principal(subject, user.roles(), jti, expiresAt, sets.effective(user));
  }

  /** The same token, trusted as it is (user checks off): its roles' permissions under {@code sets}. */
  public Principal trusted(RolePermissions sets) {
    return new Principal(subject, roles, jti, expiresAt, sets.effective(roles, Set.of(), Set.of()));
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  public boolean may(Permission permission) {
    return permissions.contains(permission);
  }

  /** The authenticated caller of a request, or null before authentication. */
  public static Principal of(RoutingContext rc) {
    return rc.get(KEY);
  }
}
