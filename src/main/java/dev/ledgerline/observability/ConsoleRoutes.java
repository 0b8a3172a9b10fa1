package dev.ledgerline.observability;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The operator console on the management port: {@code GET /console} (one page of plain HTML, CSS and JS, no build
 * step), its live feed {@code GET /console/feed} (server-sent events, one JSON snapshot a second), the same snapshot
 * once as {@code GET /console/snapshot}, and {@code POST /console/session}, which turns a bearer token into an
 * HttpOnly cookie so the browser's page and its event stream carry it. Who may look is {@link ConsoleAccess}'s call.
 */
public final class ConsoleRoutes {
  public static final String COOKIE = "ll_console";
  /** An open feed ends after this long; the browser reconnects at once and is authorized again. */
  static final long FEED_MS = 60_000;
  /** How long the console cookie lasts; a token that expires or is revoked sooner is refused at the next check. */
  private static final long SESSION_SECONDS = 8 * 3600;
  /** A bearer token as it may travel in a cookie: JWTs and generated tokens fit, anything odder is refused. */
  private static final Pattern COOKIE_SAFE = Pattern.compile("[A-Za-z0-9._~+/=-]{1,8192}");
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  private static final Map<String, String> ASSETS = Map.of("console.js", "application/javascript; charset=utf-8",
      "console.css", "text/css; charset=utf-8", "signin.js", "application/javascript; charset=utf-8");

  private final ConsoleAccess access;
  private final ConsoleFeed feed;
  private final Predicate<String> loopback;
  private final Buffer page;
  private final Buffer signIn;
  private final Map<String, Buffer> assets;

  /** @param loopback whether a caller's address is a loopback address */
  public ConsoleRoutes(ConsoleAccess access, ConsoleFeed feed, Predicate<String> loopback) {
    this.access = access;
    this.feed = feed;
    this.loopback = loopback;
    this.page = resource("index.html");
    this.signIn = resource("signin.html");
    this.assets = Map.of("console.js", resource("console.js"), "console.css", resource("console.css"),
        "signin.js", resource("signin.js"));
  }

  private static Buffer resource(String name) {
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/console/" + name)) {
      if (in == null) {
        throw new IllegalStateException("console resource missing: " + name);
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Adds the console's routes to the management router. */
  public void mount(Router router) {
    router.route("/console*").handler(rc -> {
      secure(rc.response());
      rc.next();
    });
    // Code and styles only: they hold no data, and the sign-in page needs them before anyone is signed in.
    router.get("/console/assets/:name").handler(this::asset);
    router.post("/console/session").handler(this::signIn);
    router.delete("/console/session").handler(rc -> rc.response().addCookie(cookie("").setMaxAge(0))
        .setStatusCode(204).end());
    router.get("/console").handler(rc -> authorized(rc, () -> html(rc, 200, page)));
    router.get("/console/snapshot").handler(rc -> authorized(rc, () -> feed.snapshot()
        .onSuccess(s -> rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(s.encode()))
        .onFailure(rc::fail)));
    router.get("/console/feed").handler(rc -> authorized(rc, () -> stream(rc)));
  }

  private static void secure(HttpServerResponse r) {
    r.putHeader("Content-Security-Policy", CSP).putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY").putHeader("Referrer-Policy", "no-referrer")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
  }

  private void asset(RoutingContext rc) {
    String name = rc.pathParam("name");
    Buffer body = assets.get(name);
    if (body == null) {
      rc.response().setStatusCode(404).end();
      return;
    }
    rc.response().putHeader(HttpHeaders.CONTENT_TYPE, ASSETS.get(name)).end(body);
  }

  private static void html(RoutingContext rc, int status, Buffer body) {
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8").end(body);
  }

  /** The token of the request: {@code Authorization: Bearer}, else the console cookie. */
  private static String token(RoutingContext rc) {
    String bearer = ConsoleAccess.bearer(rc.request().getHeader(HttpHeaders.AUTHORIZATION));
    if (bearer != null) {
      return bearer;
    }
    Cookie c = rc.request().getCookie(COOKIE);
    return c == null || c.getValue().isEmpty() ? null : c.getValue();
  }

  private boolean fromLoopback(RoutingContext rc) {
    return rc.request().remoteAddress() != null && loopback.test(rc.request().remoteAddress().hostAddress());
  }

  private void authorized(RoutingContext rc, Runnable then) {
    access.decide(token(rc), fromLoopback(rc)).onComplete(ar -> {
      ConsoleAccess.Decision d = ar.succeeded() ? ar.result() : ConsoleAccess.Decision.UNAUTHORIZED;
      switch (d) {
        case ALLOW -> then.run();
        case UNAUTHORIZED -> refuse(rc, 401, "an operator's token or the management token is required");
        default -> refuse(rc, 403, "the console is for operators and admins, from this machine without a"
            + " management token");
      }
    });
  }

  /** A page request gets the sign-in page (no data in it); the feed and the API get problem+json. */
  private void refuse(RoutingContext rc, int status, String title) {
    if (status == 401) {
      rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"management\"");
    }
    if (status == 401 && "/console".equals(rc.request().path())) {
      html(rc, 401, signIn);
      return;
    }
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/problem+json")
        .end(new JsonObject().put("type", "about:blank").put("status", status).put("title", title).encode());
  }

  private void signIn(RoutingContext rc) {
    String token = ConsoleAccess.bearer(rc.request().getHeader(HttpHeaders.AUTHORIZATION));
    if (token == null || !COOKIE_SAFE.matcher(token).matches()) {
      refuse(rc, 401, "send the token as Authorization: Bearer");
      return;
    }
    authorized(rc, () -> rc.response().addCookie(cookie(token).setMaxAge(SESSION_SECONDS)).setStatusCode(204).end());
  }

  /**
   * HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it) and scoped to the console. Not
   * Secure: the management port speaks plain HTTP, where a browser would drop a Secure cookie; keep it on loopback
   * or behind TLS.
   */
  private static Cookie cookie(String value) {
    return Cookie.cookie(COOKIE, value).setHttpOnly(true).setSameSite(CookieSameSite.STRICT).setPath("/console");
  }

  private void stream(RoutingContext rc) {
    HttpServerResponse r = rc.response().setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8").putHeader("X-Accel-Buffering", "no");
    Runnable[] stop = new Runnable[1];
    long end = rc.vertx().setTimer(FEED_MS, id -> {
      stop[0].run();
      r.end();
    });
    stop[0] = feed.watch(s -> {
      if (!r.ended() && !r.closed() && !r.writeQueueFull()) {
        r.write("data: " + s.encode() + "\n\n");
      }
    });
    r.closeHandler(v -> {
      stop[0].run();
      rc.vertx().cancelTimer(end);
    });
    // The first picture at once, not a second later.
    r.write("retry: 1000\n\n");
    feed.snapshot().onSuccess(s -> {
      if (!r.ended() && !r.closed()) r.write("data: " + s.encode() + "\n\n");
    });
  }
}
