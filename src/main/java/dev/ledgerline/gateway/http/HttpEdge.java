package dev.ledgerline.gateway.http;

import dev.ledgerline.config.LedgerlineConfig;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.net.RFC3986;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import java.io.IOException;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP connection edge of the gateway, before any route: time limits and a per-address connection cap against
 * slow and idle clients, and problem+json answers for requests Vert.x refuses before they reach the router (a request
 * line or header section too long or malformed, a query with a broken %-escape, a body with broken chunked
 * encoding).
 *
 * <ul>
 *   <li>{@code idle-timeout}: a connection with no bytes read or written for this long is closed (Netty's idle
 *       handler, set through {@link HttpServerOptions});
 *   <li>{@code header-timeout}: from the moment a connection opens, or its previous answer ended, its next request's
 *       headers must be complete within this; else it is closed (a slowloris sends bytes too slowly for the idle
 *       timeout to fire). It also bounds how long a kept-alive connection waits for its next request;
 *   <li>{@code body-timeout}: a request's body must be fully received within this after its headers; else it is
 *       answered 408 and the connection closed;
 *   <li>{@code max-per-address}: connections open at once from one client address on this node; further ones are
 *       closed as soon as they open.
 * </ul>
 *
 * <p>The header and body limits are checked by one timer per connection that ticks every quarter of the shorter
 * limit, so a limit is enforced at most a quarter late and never early; a connection upgraded to a WebSocket leaves
 * these checks (its idle time is bounded by the stream's pings and the idle timeout).
 */
public final class HttpEdge {
  private static final Logger LOG = LoggerFactory.getLogger(HttpEdge.class);

  /** {@code gateway.connection.*}. */
  public record Settings(Duration idleTimeout, Duration headerTimeout, Duration bodyTimeout, int maxPerAddress) {
    public static Settings from(LedgerlineConfig cfg) {
      LedgerlineConfig.Connection c = cfg.gatewaySettings().connection();
      return new Settings(c.idleTimeout(), c.headerTimeout(), c.bodyTimeout(), c.maxPerAddress());
    }

    Duration tick() {
      long shorter = Math.min(headerTimeout.toMillis(), bodyTimeout.toMillis());
      return Duration.ofMillis(Math.max(50, shorter / 4));
    }
  }

  /** Connections open per client address on this node: one instance shared by the node's gateway instances. */
  public static final class AddressCounts {
    final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();
  }

  /** What the edge knows of one connection; confined to the connection's event loop. */
  private static final class Conn {
    final HttpConnection connection;
    final String address;
    long timer = -1;
    HttpServerRequest current;
    long requestStartedAt;
    /** When the connection was first seen waiting for request headers; -1 while a request is in progress. */
    long waitingSince;
    boolean upgraded;

    Conn(HttpConnection connection, String address, long now) {
      this.connection = connection;
      this.address = address;
      this.waitingSince = now;
    }
  }

  private final Vertx vertx;
  private final Settings settings;
  private final AddressCounts counts;
  private final Map<HttpConnection, Conn> conns = new IdentityHashMap<>();

  public HttpEdge(Vertx vertx, Settings settings, AddressCounts counts) {
    this.vertx = vertx;
    this.settings = settings;
    this.counts = counts;
  }

  /**
   * The idle timeout on the server's options (Netty closes idle connections itself), and no cleartext HTTP/2: with it,
   * Vert.x makes a connection (and calls the connection handler) only once the first request's headers are complete,
   * so a client that never completes them would escape every limit here. No WebSocket compression either: the
   * stream's frames are small, compressing them next to secrets invites CRIME-style attacks under TLS, and without
   * extensions the frame decoder refuses frames with reserved bits set (RFC 6455 §5.2).
   */
  public HttpServerOptions apply(HttpServerOptions options) {
    return options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, settings.idleTimeout().toMillis()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setHttp2ClearTextEnabled(false)
        .setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false);
  }

  /**
   * Installs the edge on a server: {@code requests} gets every well-formed request; {@code upgrade} may take a
   * request (a WebSocket handshake it recognises) and answers whether it did, with a future of the upgrade.
   */
  public HttpServer install(HttpServer server, Handler<HttpServerRequest> requests,
      Function<HttpServerRequest, Future<Boolean>> upgrade) {
    return server.connectionHandler(this::opened).invalidRequestHandler(this::invalid).requestHandler(req -> {
      Conn c = conns.get(req.connection());
      if (c != null) {
        c.current = req;
        c.requestStartedAt = System.nanoTime();
        c.waitingSince = -1;
      }
      if (!pathDecodes(req)) {
        answer(req, Problem.of(400, "the request path is malformed (a bad %-escape)"), false);
        return;
      }
      if (!queryDecodes(req)) {
        answer(req, Problem.of(400, "the query string is malformed (a bad %-escape or invalid UTF-8)"), false);
        return;
      }
      Future<Boolean> upgrading = upgrade.apply(req);
      if (upgrading == null) {
        requests.handle(req);
      } else if (c != null) {
        upgrading.onSuccess(up -> c.upgraded |= up);
      }
    });
  }

  /** The router normalizes the path with Vert.x's RFC 3986 rules and answers a failure with a plain-text 400. */
  private static boolean pathDecodes(HttpServerRequest req) {
    String path = req.path();
    if (path == null || path.indexOf('%') < 0) {
      return true;
    }
    try {
      RFC3986.normalizePath(path);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static boolean queryDecodes(HttpServerRequest req) {
    if (req.query() == null) {
      return true;
    }
    try {
      req.params();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void opened(HttpConnection connection) {
    SocketAddress remote = connection.remoteAddress();
    String address = remote == null || remote.hostAddress() == null ? "-" : remote.hostAddress();
    int open = counts.open.merge(address, 1, Integer::sum);
    Conn c = new Conn(connection, address, System.nanoTime());
    connection.closeHandler(v -> closed(c));
    if (open > settings.maxPerAddress()) {
      LOG.info("connection from {} closed: {} connections open from that address (gateway.connection."
          + "max-per-address is {})", address, open - 1, settings.maxPerAddress());
      connection.close();
      return;
    }
    conns.put(connection, c);
    connection.exceptionHandler(e -> failed(c, e));
    c.timer = vertx.setPeriodic(settings.tick().toMillis(), t -> check(c));
  }

  private void closed(Conn c) {
    conns.remove(c.connection);
    vertx.cancelTimer(c.timer);
    counts.open.computeIfPresent(c.address, (k, n) -> n <= 1 ? null : n - 1);
  }

  private void check(Conn c) {
    if (c.upgraded) {
      vertx.cancelTimer(c.timer);
      return;
    }
    long now = System.nanoTime();
    HttpServerRequest r = c.current;
    if (r == null || r.response().ended()) {
      if (c.waitingSince < 0) {
        c.waitingSince = now;
      }
      if (now - c.waitingSince >= settings.headerTimeout().toNanos()) {
        LOG.debug("connection from {} closed: no complete request headers within {}", c.address,
            settings.headerTimeout());
        c.connection.close();
      }
      return;
    }
    if (!r.isEnded() && now - c.requestStartedAt >= settings.bodyTimeout().toNanos()) {
      LOG.info("{} {} from {}: body not received within {}", r.method(), r.path(), c.address,
          settings.bodyTimeout());
      answer(r, Problem.of(408, "the request body was not received in time"), true);
    }
  }

  /**
   * A connection failure while a request is unanswered: Vert.x closes the connection right after this (a body with
   * broken chunked encoding fails the decoder), so the answer is written and flushed now.
   */
  private void failed(Conn c, Throwable e) {
    HttpServerRequest r = c.current;
    if (c.upgraded || r == null || e instanceof IOException || r.response().headWritten() || r.response().ended()) {
      return;
    }
    LOG.info("{} {} from {}: malformed request body ({})", r.method(), r.path(), c.address, e.toString());
    answer(r, Problem.of(400, "the request body is malformed (bad chunked transfer encoding)"), true);
    if (c.connection instanceof ConnectionBase base) {
      base.channelHandlerContext().flush();
    }
  }

  /** Requests Vert.x could not parse: too long a request line (414), too large a header section (431), else 400. */
  private void invalid(HttpServerRequest req) {
    Conn c = conns.get(req.connection());
    if (c != null) {
      c.current = req;
      c.waitingSince = -1;
    }
    Throwable cause = req.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414
        : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String detail = switch (status) {
      case 414 -> "the request line is too long";
      case 431 -> "the request header section is too large";
      default -> "the request is not valid HTTP/1.1";
    };
    answer(req, Problem.of(status, detail), true);
  }

  /** Ends the request with a problem; {@code close} also ends the connection once the answer is written. */
  private static void answer(HttpServerRequest req, Problem problem, boolean close) {
    HttpServerResponse response = req.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      req.connection().close();
      return;
    }
    if (close) {
      response.putHeader("Connection", "close");
    }
    response.setStatusCode(problem.status()).putHeader("Content-Type", Problem.CONTENT_TYPE)
        .putHeader("Cache-Control", "no-store").end(problem.toBuffer())
        .onComplete(v -> {
          if (close) {
            req.connection().close();
          }
        });
  }
}
