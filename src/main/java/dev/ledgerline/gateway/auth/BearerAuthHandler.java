package dev.ledgerline.gateway.auth;

import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.RequestIds;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication on a route, with the token from {@link TokenSources#ofRequest} ({@code Authorization: Bearer}, else
 * the {@code ll_token} cookie where allowed): on success the {@link Principal} is in the context
 * ({@link Principal#of}); on failure the request fails with 401 and a {@code WWW-Authenticate} challenge (RFC 6750),
 * rendered by {@link ProblemHandler}. The reason is logged with the request id, never returned.
 */
public final class BearerAuthHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(BearerAuthHandler.class);
  public static final String CHALLENGE = ProblemHandler.DEFAULT_CHALLENGE;
  public static final String CHALLENGE_INVALID = CHALLENGE + ", error=\"invalid_token\"";
  /** Context key of the failure of a token an earlier handler of the request verified and refused. */
  public static final String REJECTED = "ledgerline.token-rejected";

  private final JwtAuthenticator authenticator;

  public BearerAuthHandler(JwtAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public void handle(RoutingContext rc) {
    // Verified by an earlier handler of this request (the gateway's per-address limit of bad tokens): not again.
    if (Principal.of(rc) != null) {
      rc.next();
      return;
    }
    if (rc.get(REJECTED) instanceof Throwable rejected) {
      refuse(rc, CHALLENGE_INVALID, rejected.getMessage());
      return;
    }
    TokenSources.Found found = TokenSources.ofRequest(rc.request());
    if (found.source() == TokenSources.Source.NONE) {
      refuse(rc, CHALLENGE, "no token (Authorization header, or ll_token cookie where allowed)");
      return;
    }
    if (!found.present()) {
      refuse(rc, CHALLENGE_INVALID, "Authorization is not a Bearer token");
      return;
    }
    authenticator.authenticate(found.token()).onComplete(ar -> {
      if (ar.succeeded()) {
        rc.put(Principal.KEY, ar.result());
        rc.next();
      } else {
        refuse(rc, CHALLENGE_INVALID, ar.cause().getMessage());
      }
    });
  }

  private static void refuse(RoutingContext rc, String challenge, String reason) {
    String id = RequestIds.of(rc);
    RequestIds.withId(id == null ? "-" : id, () -> LOG.info("401 {} {}: {}", rc.request().method(),
        rc.request().path(), reason));
    rc.response().putHeader(ProblemHandler.WWW_AUTHENTICATE, challenge);
    rc.fail(401);
  }
}
