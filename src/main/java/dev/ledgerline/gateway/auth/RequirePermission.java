package dev.ledgerline.gateway.auth;

import dev.ledgerline.users.Permission;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * Lets a request through only when its caller holds the route's permission; otherwise 403 (401 when the route has
 * no authentication in front, a wiring mistake that must fail closed). Object-level checks (whose account is it?)
 * stay with the route itself.
 */
public final class RequirePermission implements Handler<RoutingContext> {
  private final Permission permission;

  private RequirePermission(Permission permission) {
    this.permission = Objects.requireNonNull(permission);
  }

  public static RequirePermission of(Permission permission) {
    return new RequirePermission(permission);
  }

  public Permission permission() {
    return permission;
  }

  @Override
  public void handle(RoutingContext rc) {
    Principal p = Principal.of(rc);
    if (p == null) {
      rc.fail(401);
    } else if (p.may(permission)) {
      rc.next();
    } else {
      rc.fail(new dev.ledgerline.gateway.http.ProblemException(dev.ledgerline.gateway.http.Problem.of(403,
          "this needs the permission " + permission.wireName())));
    }
  }
}
