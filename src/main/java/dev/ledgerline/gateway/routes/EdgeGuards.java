package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.auth.BearerAuthHandler;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.RequestIds;
import dev.ledgerline.gateway.http.StorableText;
import dev.ledgerline.gateway.json.FieldError;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at the edge of every API route that keep hostile input from reaching a 500: authentication that throws
 * answers 401, a subject that cannot be stored answers 401 before it meets a shared statement, and a missing body
 * answers 400.
 */
public final class EdgeGuards {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeGuards.class);

  private EdgeGuards() {}

  /**
   * Authentication whose unexpected exceptions (a verifier tripping over a crafted token) answer 401 like any other
   * unusable token, never 500.
   */
  public static Handler<RoutingContext> authentication(Handler<RoutingContext> auth) {
    return rc -> {
      try {
        auth.handle(rc);
      } catch (RuntimeException e) {
        if (rc.failed() || rc.response().headWritten()) {
          return;
        }
        refuse(rc, "authentication failed: " + e);
      }
    };
  }

  /**
   * The authenticated subject must be storable text ({@link StorableText}): it is part of idempotency and ownership
   * rows written in batches with other callers' rows.
   */
  static Handler<RoutingContext> subject() {
    return rc -> {
      Principal p = Principal.of(rc);
      String why = p == null ? "no principal" : StorableText.problem(p.subject(), StorableText.MAX_SUBJECT);
      if (why != null) {
        refuse(rc, "token subject " + why);
        return;
      }
      rc.next();
    };
  }

  /** After the body handler: a POST must carry a body (the routes' bodies are JSON objects). */
  static Handler<RoutingContext> nonEmptyBody() {
    return rc -> {
      Buffer body = rc.body().buffer();
      if (body == null || body.length() == 0) {
        rc.fail(new ProblemException(Problem.validation(List.of(new FieldError(FieldError.ROOT,
            "the body is empty; expected a JSON object")))));
        return;
      }
      rc.next();
    };
  }

  private static void refuse(RoutingContext rc, String reason) {
    String id = RequestIds.of(rc);
    RequestIds.withId(id == null ? "-" : id, () -> LOG.info("401 {} {}: {}", rc.request().method(),
        rc.request().path(), reason));
    rc.response().putHeader(ProblemHandler.WWW_AUTHENTICATE, BearerAuthHandler.CHALLENGE_INVALID);
    rc.fail(401);
  }
}
