package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.Reply;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/** How the feature routes run a route body: one place decides what reaches the client on success and on failure. */
final class Answers {
  private Answers() {}

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

  /** A problem's reply; a 503 tells the client to come back in a second. Null for null. */
  static Reply problem(Problem p) {
    if (p == null) {
      return null;
    }
    return p.status() == 503 ? Reply.problem(p).withRetryAfter(1) : Reply.problem(p);
  }
}
