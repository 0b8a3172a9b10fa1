package dev.ledgerline.gateway.auth;

import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.ratelimit.RateLimitHandler;
import dev.ledgerline.users.RolePermissions;
import dev.ledgerline.users.UserDirectory;
import dev.ledgerline.users.UserRefusedException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * The fourth step of authentication: after the token is verified and found not revoked, the user behind it is
 * loaded (from the node's cache) and the request acts as that user, with their stored roles and effective
 * permissions. A suspended or closed user is refused even with a valid token. With {@code auth.users.check: false}
 * the token's roles are trusted as they are.
 */
public final class UserCheck {
  public static final String TYPE_SUSPENDED = "urn:ledgerline:problem:user-suspended";
  public static final String TYPE_UNKNOWN = "urn:ledgerline:problem:user-unknown";
  public static final String TYPE_UNAVAILABLE = "urn:ledgerline:problem:users-unavailable";

  private final UserDirectory directory;
  private final RolePermissions sets;

  /** @param directory null: do not load users (trust the token's roles) */
  public UserCheck(UserDirectory directory, RolePermissions sets) {
    this.directory = directory;
    this.sets = Objects.requireNonNull(sets);
  }

  /** The principal acting as its user; fails with a {@link ProblemException} that says why not. */
  public Future<Principal> check(Principal token, boolean write) {
    if (directory == null) {
      return Future.succeededFuture(token.trusted(sets));
    }
    return directory.activeUser(token.subject(), token.roles(), write).transform(ar -> ar.succeeded()
        ? Future.succeededFuture(token.as(ar.result(), sets))
        : Future.failedFuture(problem(ar.cause())));
  }

  /**
   * A route step: replaces the request's principal with its user's, then runs {@code then}. A refused user (suspended,
   * closed, unknown) is first charged to {@code refusedLimit}, as a request without a valid token would be, so a
   * refused token cannot send unlimited requests (null: none).
   */
  public Handler<RoutingContext> then(Handler<RoutingContext> then, RateLimitHandler refusedLimit) {
    return rc -> {
      Principal p = Principal.of(rc);
      if (p == null) {
        then.handle(rc);
        return;
      }
      HttpMethod m = rc.request().method();
      check(p, m != HttpMethod.GET && m != HttpMethod.HEAD).onComplete(ar -> {
        if (rc.response().ended() || rc.response().closed()) {
          return;
        }
        if (ar.succeeded()) {
          rc.put(Principal.KEY, ar.result());
          then.handle(rc);
          return;
        }
        ProblemException pe = (ProblemException) ar.cause();
        if (pe.problem().status() == 503) {
          rc.response().putHeader("Retry-After", "1");
          rc.fail(pe);
        } else if (refusedLimit == null) {
          rc.fail(pe);
        } else {
          refusedLimit.handle(rc, r -> r.fail(pe));
        }
      });
    };
  }

  private static ProblemException problem(Throwable cause) {
    if (cause instanceof UserRefusedException r) {
      return new ProblemException(switch (r.reason()) {
        case SUSPENDED, CLOSED -> Problem.of(403, "this user is " + r.reason().name().toLowerCase(java.util.Locale.ROOT)
            + "; an admin can reinstate them").withType(TYPE_SUSPENDED).withTitle("User suspended");
        case UNKNOWN -> Problem.of(403, "this user is not known here; an admin must create it")
            .withType(TYPE_UNKNOWN).withTitle("Unknown user");
      });
    }
    // UsersUnavailableException, or anything else that kept the user from being known: fail closed.
    return new ProblemException(Problem.of(503, "the user cannot be loaded right now; retry")
        .withType(TYPE_UNAVAILABLE));
  }
}
