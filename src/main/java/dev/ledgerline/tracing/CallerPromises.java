package dev.ledgerline.tracing;

import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;

/**
 * Promises whose callbacks run on the caller's Vert.x context. Code that answers many callers from one batch
 * completes their promises on whichever context sent the batch; a plain promise would then run every caller's
 * continuation there, and the request would lose what its own context holds: its trace (the current span), and with
 * it the trace id of its log lines, its problem answers and its calls to other nodes.
 */
public final class CallerPromises {
  private CallerPromises() {}

  /** A promise bound to the current Vert.x context (a plain one off Vert.x threads). */
  public static <T> Promise<T> promise() {
    ContextInternal caller = ContextInternal.current();
    return caller == null ? Promise.promise() : caller.promise();
  }
}
