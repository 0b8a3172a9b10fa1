package dev.ledgerline.gateway.revocation;

import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.users.Role;
import dev.ledgerline.gateway.http.JsonBodies;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.gateway.json.StrictJson;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code POST /v1/auth/revoke}: body {@code {}} (or empty) revokes the caller's own token; {@code {"token": "..."}}
 * revokes the given token, which must be the caller's own unless the caller is an admin. The token to revoke must
 * verify (signature, issuer, audience, not expired): an expired one needs no revocation, and an unverifiable one
 * could name any jti. Answers {@code 200 {"jti": ..., "revoked_until": <exp, ISO-8601>}} once PostgreSQL and Redis
 * both hold the revocation, so that every node refuses the token within a second; 503 otherwise (see
 * {@link RevocationStore#revoke}).
 */
public final class RevokeRoute implements Handler<RoutingContext> {
  public static final String PATH = "/v1/auth/revoke";
  /** Its name in {@code gateway.rate-limits}. */
  public static final String OPERATION = "auth.revoke";

  private final JwtAuthenticator authenticator;
  private final RevocationStore store;

  public RevokeRoute(JwtAuthenticator authenticator, RevocationStore store) {
    this.authenticator = authenticator;
    this.store = store;
  }

  @Override
  public void handle(RoutingContext rc) {
    Principal caller = Principal.of(rc);
    String token;
    try {
      token = tokenOf(rc);
    } catch (ProblemException | InvalidRequestException e) {
      rc.fail(e);
      return;
    }
    Future<Principal> target;
    if (token == null) {
      target = Future.succeededFuture(caller);
    } else {
      target = authenticator.authenticate(token).recover(err -> Future.failedFuture(new ProblemException(
          Problem.validation(List.of(new FieldError("token", "is not a valid, unexpired token of this issuer"))))));
    }
    target.compose(t -> {
      boolean own = t.subject().equals(caller.subject()) && t.jti() != null && t.jti().equals(caller.jti());
      if (!own && !caller.has(Role.ADMIN)) {
        return Future.failedFuture(new ProblemException(Problem.of(403, "only an admin may revoke another token")));
      }
      if (t.jti() == null) {
        return Future.failedFuture(new ProblemException(Problem.of(400, "the token has no jti to revoke")));
      }
      return store.revoke(t.jti(), t.expiresAt()).map(v -> t);
    }).onComplete(ar -> {
      if (ar.failed()) {
        Throwable e = ar.cause();
        if (e instanceof RevocationUnavailableException) {
          rc.response().putHeader("Retry-After", "1");
          rc.fail(new ProblemException(Problem.of(503, "the revocation store is unavailable; retry")));
        } else {
          rc.fail(e);
        }
        return;
      }
      Principal t = ar.result();
      rc.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("jti", t.jti())
          .put("revoked_until", t.expiresAt().toString()).encode());
    });
  }

  private static String tokenOf(RoutingContext rc) {
    Buffer body = rc.body().buffer();
    boolean empty = body == null || body.length() == 0;
    // A form's body is parsed into attributes and looks empty: it is a body all the same, and not JSON.
    if (JsonBodies.isForm(rc) || !empty && !JsonBodies.isJson(rc.request().getHeader(HttpHeaders.CONTENT_TYPE))) {
      throw new ProblemException(ProblemHandler.standard(415));
    }
    if (empty) {
      return null;
    }
    JsonObject json = StrictJson.object(body.getBytes());
    for (String name : json.fieldNames()) {
      if (!"token".equals(name)) {
        throw new ProblemException(Problem.validation(List.of(new FieldError(name, "unknown field"))));
      }
    }
    if (!json.containsKey("token")) {
      return null;
    }
    if (!(json.getValue("token") instanceof String s) || s.isEmpty()) {
      throw new ProblemException(Problem.validation(List.of(new FieldError("token", "must be a non-empty string"))));
    }
    return s;
  }
}
