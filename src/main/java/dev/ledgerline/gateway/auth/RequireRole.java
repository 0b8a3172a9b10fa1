package dev.ledgerline.gateway.auth;

import dev.ledgerline.users.Role;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumSet;
import java.util.Set;

/**
 * Lets a request through only when its principal has one of the given roles; otherwise 403 (401 when the route has
 * no authentication in front, which is a wiring mistake that must fail closed). Object-level checks (whose account
 * is it?) belong to the route itself.
 */
public final class RequireRole implements Handler<RoutingContext> {
  private final Set<Role> allowed;

  private RequireRole(Set<Role> allowed) {
    this.allowed = allowed;
  }

  public static RequireRole anyOf(Role first, Role... more) {
    return new RequireRole(EnumSet.of(first, more));
  }

  @Override
  public void handle(RoutingContext rc) {
    Principal p = Principal.of(rc);
    if (p == null) {
      rc.fail(401);
      return;
    }
    for (Role r : p.roles()) {
      if (allowed.contains(r)) {
        rc.next();
        return;
      }
    }
    rc.fail(403);
  }
}
