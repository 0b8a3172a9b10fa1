package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.Refused;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** How the feature routes run a route body: one place decides what reaches the client on success and on failure. */
final class Answers {
  private static final Pattern CANONICAL_UUID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private Answers() {}

  /**
   * The path parameter {@code id} as a lower-case canonical UUID; anything else is a 400 saying it is not {@code what},
   * e.g. {@code "a webhook endpoint id"}.
   */
  static UUID pathId(RoutingContext rc, String what) {
    String id = rc.pathParam("id");
    if (id == null || !CANONICAL_UUID.matcher(id).matches()) {
      throw new InvalidRequestException(List.of(new FieldError("id", "is not " + what + " (a lower-case UUID)")));
    }
    return UUID.fromString(id);
  }

  /** Whether {@code s} is a UUID in the lower-case canonical form the API hands out. */
  static boolean canonicalUuid(String s) {
    return s != null && CANONICAL_UUID.matcher(s).matches();
  }

  /** The standard 404, for a resource that does not exist or is not the caller's. */
  static Refused notFound() {
    return new Refused(Reply.problem(ProblemHandler.standard(404)));
  }

  /**
   * Runs {@code route} and sends its reply, or the reply {@code failure} maps its failure to; a null mapping leaves
   * the failure to the router's failure handler (an unexpected error: logged, answered 500 without details).
   */
  static Handler<RoutingContext> answer(Function<RoutingContext, Future<Reply>> route,
      Function<Throwable, Reply> failure) {
    return rc -> {
      Future<Reply> reply;
      try {
        reply = route.apply(rc);
      } catch (RuntimeException e) {
        reply = Future.failedFuture(e);
      }
      reply.onComplete(ar -> {
        if (rc.response().ended() || rc.response().closed()) {
          return;
        }
        Reply r = ar.succeeded() ? ar.result() : failure.apply(ar.cause());
        if (r == null) {
          rc.fail(ar.cause());
        } else if (r.status() == 204) {
          rc.response().setStatusCode(204).end(); // no body, so no content type either
        } else {
          r.send(rc, false);
        }
      });
    };
  }

  /**
   * {@code service}, or a 503 (come back in a minute) saying {@code feature} are not available on this node because
   * its token vault is not configured: the vault-backed routes are mounted either way.
   */
  static <T> T vaultBacked(T service, String feature) {
    if (service == null) {
      throw new Refused(Reply.problem(Problem.of(503, feature + " are not available on this node: its token vault is"
          + " not configured")).notKept().withRetryAfter(60));
    }
    return service;
  }

  /**
   * Runs {@code route} for the idempotency layer, which takes a reply future: a failure, thrown or in the future,
   * becomes the reply {@code failure} maps it to.
   */
  static Future<Reply> replying(Supplier<Future<Reply>> route, Function<Throwable, Reply> failure) {
    try {
      return route.get().recover(e -> Future.succeededFuture(failure.apply(e)));
    } catch (RuntimeException e) {
      return Future.succeededFuture(failure.apply(e));
    }
  }

  /** A problem's reply; a 503 tells the client to come back in a second. Null for null. */
  static Reply problem(Problem p) {
    if (p == null) {
      return null;
    }
    return p.status() == 503 ? Reply.problem(p).withRetryAfter(1) : Reply.problem(p);
  }
}
