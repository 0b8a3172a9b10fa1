package dev.ledgerline.gateway.revocation;

import dev.ledgerline.gateway.auth.BearerAuthHandler;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.RequestIds;
import dev.ledgerline.gateway.ratelimit.RateLimitHandler;
import dev.ledgerline.gateway.revocation.RevocationStore.ReadsWhenUnavailable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a revoked token (401) on an authenticated route. When the store cannot answer (neither Redis nor
 * PostgreSQL), a write fails closed (503: a revoked token must not move money), and a read follows
 * {@code auth.revocation.reads-when-unavailable}.
 */
public final class RevocationCheck implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(RevocationCheck.class);

  /** What the check concluded for one token. */
  public enum Verdict {
    ACCEPT, REVOKED, UNAVAILABLE
  }

  private final RevocationStore store;
  private final ReadsWhenUnavailable reads;
  private final boolean write;
  private final Handler<RoutingContext> then;
  private final RateLimitHandler revokedLimit;

  /** @param then runs when the token is accepted (null: the next route handler) */
  public RevocationCheck(RevocationStore store, ReadsWhenUnavailable reads, boolean write,
      Handler<RoutingContext> then) {
    this(store, reads, write, then, null);
  }

  /**
   * @param revokedLimit charged for a request whose token is revoked (a token that is no longer valid is limited like
   *     none at all); null: none
   */
  public RevocationCheck(RevocationStore store, ReadsWhenUnavailable reads, boolean write,
      Handler<RoutingContext> then, RateLimitHandler revokedLimit) {
    this.store = store;
    this.reads = reads;
    this.write = write;
    this.then = then;
    this.revokedLimit = revokedLimit;
  }

  /** The verdict for a principal, shared with the stream handshake. */
  public static Future<Verdict> verdict(RevocationStore store, ReadsWhenUnavailable reads, boolean write,
      Principal p) {
    if (p.jti() == null) {
      // Only possible with auth.jwt.require-jti off: such a token cannot be revoked.
      return Future.succeededFuture(Verdict.ACCEPT);
    }
    return store.isRevoked(p.jti()).map(r -> r ? Verdict.REVOKED : Verdict.ACCEPT).recover(err -> {
      boolean allow = !write && reads == ReadsWhenUnavailable.ALLOW;
      LOG.warn("revocation check unavailable ({}): {}", allow ? "read allowed" : "refused", err.getMessage());
      return Future.succeededFuture(allow ? Verdict.ACCEPT : Verdict.UNAVAILABLE);
    });
  }

  @Override
  public void handle(RoutingContext rc) {
    Principal p = Principal.of(rc);
    if (p == null) {
      proceed(rc);
      return;
    }
    verdict(store, reads, write, p).onComplete(ar -> {
      if (rc.response().ended() || rc.response().closed()) {
        return;
      }
      switch (ar.result()) {
        case ACCEPT -> proceed(rc);
        case REVOKED -> {
          if (revokedLimit == null) {
            refuseRevoked(rc, p);
          } else {
            revokedLimit.handle(rc, r -> refuseRevoked(r, p));
          }
        }
        default -> {
          rc.response().putHeader("Retry-After", "1");
          rc.fail(new ProblemException(Problem.of(503, "token revocation cannot be checked right now; retry")));
        }
      }
    });
  }

  private static void refuseRevoked(RoutingContext rc, Principal p) {
    String id = RequestIds.of(rc);
    RequestIds.withId(id == null ? "-" : id, () -> LOG.info("401 {} {}: token {} is revoked",
        rc.request().method(), rc.request().path(), p.jti()));
    rc.response().putHeader(ProblemHandler.WWW_AUTHENTICATE, BearerAuthHandler.CHALLENGE_INVALID);
    rc.fail(401);
  }

  private void proceed(RoutingContext rc) {
    if (then == null) {
      rc.next();
    } else {
      then.handle(rc);
    }
  }
}
