package dev.ledgerline.gateway.http;

import dev.ledgerline.gateway.json.InvalidRequestException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into {@code application/problem+json}: {@link ProblemException} as given,
 * {@link InvalidRequestException} as 400 with {@code errors}, a status set by vert.x-web (413 from the body handler,
 * 404/405 from the router, {@link HttpException}) with a fixed text, and anything else as a generic 500. Exception
 * messages, class names and stack traces never reach the client; unexpected failures are logged with the request id.
 */
public final class ProblemHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ProblemHandler.class);
  /** Sent with a 401 that carries no challenge of its own (RFC 9110 §11.6.1 requires one). */
  public static final String WWW_AUTHENTICATE = "WWW-Authenticate";
  public static final String DEFAULT_CHALLENGE = "Bearer realm=\"ledgerline\"";
  /** The detail of {@link #standard}'s fixed answers; other statuses carry only their reason phrase. */
  private static final Map<Integer, String> STANDARD_DETAILS = Map.of(
      400, "the request is malformed",
      401, "a valid bearer token is required",
      403, "the token does not allow this operation",
      404, "no such resource",
      405, "this method is not allowed on this resource",
      413, "the request body is larger than this route accepts",
      415, "the request body must be JSON (Content-Type: application/json)",
      500, "internal error; quote the request_id when reporting it",
      503, "temporarily unavailable; retry later");

  /** Installs the handler as the router's failure handler and for the router's own 404, 405 and 500 answers. */
  public static ProblemHandler install(Router router) {
    ProblemHandler h = new ProblemHandler();
    router.route().failureHandler(h);
    router.errorHandler(404, h);
    router.errorHandler(405, rc -> {
      // RFC 9110 §15.5.6: a 405 names the methods the resource has.
      String allow = allowed(router, rc.normalizedPath());
      if (!allow.isEmpty()) rc.response().putHeader("Allow", allow);
      h.handle(rc);
    });
    router.errorHandler(500, h);
    return h;
  }

  private static final Map<String, Pattern> PATHS = new ConcurrentHashMap<>();

  /** The methods of the routes whose path matches {@code path}, as an {@code Allow} value (empty if none). */
  static String allowed(Router router, String path) {
    Set<String> methods = new TreeSet<>();
    for (Route r : router.getRoutes()) {
      // A path with :params counts too (vert.x keeps its template in getPath); a route given as a regex has none.
      if (r.getPath() == null || r.methods() == null || r.methods().isEmpty()) continue;
      Pattern p = PATHS.computeIfAbsent(r.getPath(), t -> Pattern.compile(Arrays.stream(t.split("/", -1))
          .map(seg -> seg.startsWith(":") ? "[^/]+" : Pattern.quote(seg)).collect(Collectors.joining("/")) + "/?"));
      if (p.matcher(path).matches()) r.methods().forEach(m -> methods.add(m.name()));
    }
    return String.join(", ", methods);
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpServerResponse response = rc.response();
    Problem problem = problemFor(rc);
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      // Part of another answer is already on the wire: a problem can no longer be sent cleanly.
      response.reset();
      return;
    }
    if (problem.status() == 401 && response.headers().get(WWW_AUTHENTICATE) == null) {
      response.putHeader(WWW_AUTHENTICATE, DEFAULT_CHALLENGE);
    }
    // Headers a handler set for a success (content length, caching, ...) do not apply to the problem.
    response.headers().remove(HttpHeaders.CONTENT_LENGTH);
    problem.send(rc);
  }

  /** The problem a failed request answers with; public for tests and for handlers that answer directly. */
  public static Problem problemFor(RoutingContext rc) {
    Throwable failure = rc.failure();
    if (failure instanceof ProblemException) {
      return ((ProblemException) failure).problem();
    }
    if (failure instanceof InvalidRequestException) {
      return Problem.validation(((InvalidRequestException) failure).errors());
    }
    if (failure != null && fromHttpDecoder(failure)) {
      return standard(400);
    }
    int status = rc.statusCode();
    if (failure instanceof HttpException) {
      status = ((HttpException) failure).getStatusCode();
    }
    if (status >= 400 && status < 500) {
      return standard(status);
    }
    if (failure != null || status >= 500) {
      String id = RequestIds.of(rc);
      if (failure != null) {
        RequestIds.withId(id == null ? "-" : id, () -> LOG.error("request failed: {} {}", rc.request().method(),
            rc.request().path(), failure));
      }
      return standard(status >= 500 && status != 500 ? status : 500);
    }
    return standard(500);
  }

  /**
   * A request the HTTP decoder could not parse (a malformed chunk size, ...), reported to the route while its body was
   * being read: the client's fault, so a 400 and no error log.
   */
  private static boolean fromHttpDecoder(Throwable t) {
    if (t instanceof io.netty.handler.codec.DecoderException) {
      return true;
    }
    StackTraceElement[] trace = t.getStackTrace();
    return trace.length > 0 && trace[0].getClassName().startsWith("io.netty.handler.codec.http.");
  }

  /** The fixed answer for a status: RFC 9457 about:blank with a short, non-revealing detail. */
  public static Problem standard(int status) {
    String detail = STANDARD_DETAILS.get(status);
    if (detail == null) {
      return Problem.of(status);
    }
    Problem problem = Problem.of(status, detail);
    return status == 401 ? problem.withType(Problem.TYPE_UNAUTHORIZED) : problem;
  }
}
