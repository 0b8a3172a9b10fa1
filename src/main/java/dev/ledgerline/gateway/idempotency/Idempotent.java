package dev.ledgerline.gateway.idempotency;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.idempotency.IdempotencyStore.Claim;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a POST route under its {@code Idempotency-Key} (IETF httpapi idempotency-key draft): the first request with a
 * key runs and its final answer is stored; the same key and body again gets that answer with
 * {@code Idempotent-Replayed: true}; another body gets 422; a retry while the first still runs waits for it (on any
 * node: the claim is a PostgreSQL row) and gets 409 past {@code gateway.idempotency.wait}. Keys are per subject.
 */
public final class Idempotent implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(Idempotent.class);
  public static final String HEADER = "Idempotency-Key";
  public static final String REPLAYED = Reply.REPLAYED;
  public static final String TYPE_KEY_REUSED = "urn:ledgerline:problem:idempotency-key-reused";
  public static final String TYPE_KEY_IN_FLIGHT = "urn:ledgerline:problem:idempotency-key-in-flight";
  public static final String TYPE_KEY_REQUIRED = "urn:ledgerline:problem:idempotency-key-required";
  private static final int MAX_KEY_LENGTH = 255;

  /** A route body that knows its idempotency key (null when the client sent none and the route allows that). */
  @FunctionalInterface
  public interface Action {
    Future<Reply> run(RoutingContext rc, Principal principal, String key);
  }

  private final IdempotencyStore store;
  private final String route;
  private final boolean required;
  private final Action action;

  public Idempotent(IdempotencyStore store, String route, boolean required, Action action) {
    this.store = store;
    this.route = route;
    this.required = required;
    this.action = action;
  }

  @Override
  public void handle(RoutingContext rc) {
    Principal p = Principal.of(rc);
    String key = rc.request().getHeader(HEADER);
    if (refused(rc, key, required)) {
      return;
    }
    if (key == null) {
      execute(rc, p, null).onComplete(ar -> sendOrFail(rc, ar.result(), ar.cause(), false));
      return;
    }
    byte[] hash = IdempotencyStore.fingerprint(route, rc.body().buffer() == null
        ? io.vertx.core.buffer.Buffer.buffer() : rc.body().buffer());
    store.begin(p.subject(), key, route, hash).onComplete(ar -> {
      if (ar.failed()) {
        // Nothing ran: the key could not be claimed (PostgreSQL unreachable or refusing), so a retry is safe.
        LOG.warn("could not claim an idempotency key: {}", ar.cause().toString());
        Reply.problem(ProblemHandler.standard(503)).notKept().withRetryAfter(1).send(rc, false);
        return;
      }
      Claim claim = ar.result();
      if (claim instanceof Claim.Replay r) {
        new Reply(r.status(), r.contentType(), r.body(), true, 0).send(rc, true);
      } else if (claim instanceof Claim.Mismatch) {
        Reply.problem(Problem.of(422, "this Idempotency-Key was already used with a different request")
            .withType(TYPE_KEY_REUSED)).send(rc, false);
      } else if (claim instanceof Claim.InProgress) {
        Reply.problem(Problem.of(409, "a request with this Idempotency-Key is still being processed; retry later")
            .withType(TYPE_KEY_IN_FLIGHT)).withRetryAfter(1).send(rc, false);
      } else {
        execute(rc, p, key).onComplete(done -> {
          Reply reply = done.succeeded() ? done.result() : null;
          if (reply != null && reply.keep()) {
            // Stored before it is sent: a client that saw the answer will find it on retry.
            store.complete(p.subject(), key, route, hash, reply.status(), reply.contentType(), reply.body())
                .onComplete(c -> {
                  if (c.failed()) {
                    LOG.warn("could not store the answer of an idempotent request", c.cause());
                  }
                  sendOrFail(rc, reply, null, false);
                });
          } else {
            store.release(p.subject(), key).onComplete(c -> sendOrFail(rc, reply, done.cause(), false));
          }
        });
      }
    });
  }

  private Future<Reply> execute(RoutingContext rc, Principal p, String key) {
    try {
      return action.run(rc, p, key).recover(e -> Future.succeededFuture(LedgerReplies.of(e)));
    } catch (RuntimeException e) {
      return Future.succeededFuture(LedgerReplies.of(e));
    }
  }

  private static void sendOrFail(RoutingContext rc, Reply reply, Throwable failure, boolean replayed) {
    if (reply != null) {
      reply.send(rc, replayed);
    } else {
      rc.fail(failure == null ? new IllegalStateException("no answer") : failure);
    }
  }

  /** Answers 400 for a missing key the route requires or for an invalid key; true if it did. */
  static boolean refused(RoutingContext rc, String key, boolean required) {
    if (key == null && required) {
      Reply.problem(Problem.of(400, "this route requires an Idempotency-Key header (a unique string per "
          + "operation, e.g. a UUID)").withType(TYPE_KEY_REQUIRED)).send(rc, false);
      return true;
    }
    if (key != null && rc.request().headers().getAll(HEADER).size() > 1) {
      // One would be kept and the other dropped: a retry sending the other would run the request again.
      Reply.problem(Problem.of(400, "send one Idempotency-Key header, not several")
          .withType(TYPE_KEY_REQUIRED)).send(rc, false);
      return true;
    }
    if (key != null && !validKey(key)) {
      Reply.problem(Problem.of(400, "Idempotency-Key must be 1 to " + MAX_KEY_LENGTH
          + " visible ASCII characters").withType(TYPE_KEY_REQUIRED)).send(rc, false);
      return true;
    }
    return false;
  }

  static boolean validKey(String key) {
    if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
