package dev.ledgerline.gateway.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Gives every HTTP request an {@code X-Request-Id} (the caller's when it is well formed, else a new one), returns it
 * on the response, and logs one access line carrying it.
 */
public final class RequestIds implements Handler<RoutingContext> {
  /** The logger of the per-request access lines. */
  public static final String ACCESS_LOGGER = "ledgerline.access";
  public static final String HEADER = "X-Request-Id";
  public static final String KEY = "requestId";
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Logger ACCESS = LoggerFactory.getLogger(ACCESS_LOGGER);

  private final String server;

  public RequestIds(String server) {
    this.server = server;
  }

  @Override
  public void handle(RoutingContext rc) {
    String given = rc.request().getHeader(HEADER);
    // A caller-chosen id goes into logs, so only a safe shape is kept (no log injection).
    String id = given != null && SAFE.matcher(given).matches() ? given : UUID.randomUUID().toString();
    rc.put(KEY, id);
    rc.response().putHeader(HEADER, id);
    if (!ACCESS.isInfoEnabled()) {
      rc.next(); // logging.access is off (or the level is above INFO): nothing to do at the end
      return;
    }
    long start = System.nanoTime();
    // The request's span is no longer current when the response has ended; the access line is logged under it.
    io.opentelemetry.context.Context trace = io.opentelemetry.context.Context.current();
    rc.addEndHandler(v -> withId(id, trace.wrap(() -> ACCESS.info("{} {} {} {} {}ms", server, rc.request().method(),
        rc.request().path(), rc.response().getStatusCode(), (System.nanoTime() - start) / 1_000_000))));
    rc.next();
  }

  public static String of(RoutingContext rc) {
    return rc.get(KEY);
  }

  /** Runs a logging action with the request id in the MDC (event loops are shared, so it is scoped tightly). */
  public static void withId(String id, Runnable action) {
    MDC.put(KEY, id);
    try {
      action.run();
    } finally {
      MDC.remove(KEY);
    }
  }
}
