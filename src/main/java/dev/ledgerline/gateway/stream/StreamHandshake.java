package dev.ledgerline.gateway.stream;

import dev.ledgerline.cache.BalanceCache;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.auth.TokenSources;
import dev.ledgerline.gateway.auth.UserCheck;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.StorableText;
import dev.ledgerline.gateway.ratelimit.RateLimitHandler;
import dev.ledgerline.gateway.ratelimit.RateLimiter;
import dev.ledgerline.gateway.revocation.RevocationCheck;
import dev.ledgerline.gateway.revocation.RevocationStore;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.users.Permission;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket handshake of {@code GET /v1/stream}, taken before the router sees the request, so everything the
 * API's routes check is checked here, before the upgrade is accepted.
 *
 * <p>Every refusal is an {@code application/problem+json} answer, and whatever a check throws still answers the
 * handshake (401 when verifying the token threw). Accepted connections get a {@link FrameGuard}.
 *
 * <ol>
 *   <li>path {@code /v1/stream} (an upgrade elsewhere is an ordinary request for the router: 404);
 *   <li>{@code Origin}, when present, must be in {@code gateway.cors.allowed-origins}, else 403. Browsers always send
 *       Origin on a WebSocket handshake and attach cookies to it (cross-site WebSocket hijacking), so a page of
 *       another origin is refused. A handshake without Origin comes from a non-browser client, which holds its
 *       token itself, and is allowed;
 *   <li>a token ({@code Authorization: Bearer}, else the {@code access_token} query parameter), verified and not
 *       revoked, else 401 (a handshake without a valid token is charged to the client address's
 *       {@code unauthenticated} rate limit, and gets 429 over it) (503 when revocation cannot be checked and {@code auth.revocation.reads-when-unavailable}
 *       is {@code deny});
 *   <li>the {@code stream.connect} rate limit of the subject, else 429.
 * </ol>
 */
public final class StreamHandshake {
  private static final Logger LOG = LoggerFactory.getLogger(StreamHandshake.class);
  public static final String PATH = "/v1/stream";
  public static final String OPERATION = "stream.connect";

  /** What the handshake needs; built once per gateway instance. */
  public record Settings(Set<String> allowedOrigins, Duration pingInterval, int maxQueued,
      int maxAccountsPerMessage, int maxAccounts, Duration resumeWindow) {}

  private final Vertx vertx;
  private final JwtAuthenticator authenticator;
  private final UserCheck users;
  private final RevocationStore revocations;
  private final RevocationStore.ReadsWhenUnavailable reads;
  private final RateLimiter limiter;
  private final Access access;
  private final LedgerClient ledger;
  private final StreamHub hub;
  private final StreamCursorKey cursorKey;
  private final StreamMetrics metrics;
  private final Settings settings;
  private final Clock clock;

  public StreamHandshake(Vertx vertx, JwtAuthenticator authenticator, RevocationStore revocations,
      RevocationStore.ReadsWhenUnavailable reads, UserCheck users, RateLimiter limiter, Access access,
      LedgerClient ledger, StreamMetrics metrics, StreamCursorKey cursorKey, Settings settings, Clock clock) {
    this(vertx, authenticator, revocations, reads, users, limiter, access, ledger, metrics, cursorKey, settings, clock,
        null);
  }

  /** @param balances where balance frames come from; null: the committed feed's own read, without a version */
  public StreamHandshake(Vertx vertx, JwtAuthenticator authenticator, RevocationStore revocations,
      RevocationStore.ReadsWhenUnavailable reads, UserCheck users, RateLimiter limiter, Access access,
      LedgerClient ledger, StreamMetrics metrics, StreamCursorKey cursorKey, Settings settings, Clock clock,
      BalanceCache balances) {
    this.vertx = vertx;
    this.users = users;
    this.authenticator = authenticator;
    this.revocations = revocations;
    this.reads = reads;
    this.limiter = limiter;
    this.access = access;
    this.ledger = ledger;
    this.hub = new StreamHub(vertx, cursorKey, balances);
    this.cursorKey = cursorKey;
    this.metrics = metrics;
    this.settings = settings;
    this.clock = clock;
  }

  public StreamHub hub() {
    return hub;
  }

  /**
   * Takes a request if it is a WebSocket handshake for {@link #PATH}: answers whether it was upgraded (false: refused
   * with a problem+json answer). Returns null for any other request, which the router then serves.
   */
  public Future<Boolean> take(HttpServerRequest req) {
    if (!PATH.equals(req.path()) || !req.headers().contains(HttpHeaders.UPGRADE, HttpHeaders.WEBSOCKET, true)) {
      return null;
    }
    // Hold the handshake (its end, and any bytes after it) until the checks below are done.
    req.pause();
    Future<Principal> checked;
    try {
      checked = check(req);
    } catch (RuntimeException e) {
      // Whatever a check throws, the handshake is answered: as an unusable token if it came from verifying one.
      checked = Future.failedFuture(new Refusal(401, "handshake check failed: " + e));
    }
    return checked.transform(ar -> {
      if (ar.failed()) {
        Refusal r = ar.cause() instanceof Refusal own ? own : new Refusal(503, ar.cause().toString());
        refuse(req, r.status, r.getMessage(), r.problem);
        return Future.succeededFuture(false);
      }
      Principal p = ar.result();
      return req.toWebSocket().map(ws -> {
        FrameGuard.install(ws);
        // An unavailable store does not end an open stream: it was authorized, and exp still bounds it.
        new StreamConnection(vertx, ws, p, access, ledger, hub, metrics, settings.maxQueued(),
            new StreamConnection.Caps(settings.maxAccountsPerMessage(), settings.maxAccounts()),
            () -> endReason(p), cursorKey, settings.resumeWindow())
            .start(settings.pingInterval(), clock);
        return true;
      }).recover(e -> {
        // Vert.x has answered an invalid handshake itself (400 or 426) or the connection is gone.
        LOG.debug("stream handshake of {} failed: {}", p.subject(), e.toString());
        return Future.succeededFuture(false);
      });
    });
  }

  /**
   * Why an open stream must end: its token revoked, its user no longer active, or the user's roles or right to the
   * stream changed since it opened (what it may see was decided then). A store that cannot answer does not end it: it
   * was authorized, and exp still bounds it.
   */
  private Future<String> endReason(Principal p) {
    Future<Boolean> revoked = p.jti() == null ? Future.succeededFuture(false)
        : revocations.isRevoked(p.jti()).recover(e -> Future.succeededFuture(false));
    return revoked.compose(r -> r ? Future.succeededFuture("token revoked") : users.check(p, false).transform(ar -> {
      if (ar.succeeded()) {
        Principal now = ar.result();
        boolean same = now.roles().equals(p.roles()) && now.may(Permission.STREAM_CONNECT);
        return Future.succeededFuture(same ? null : "permissions changed");
      }
      return Future.succeededFuture(ar.cause() instanceof ProblemException pe && pe.problem().status() == 403
          ? pe.problem().title().toLowerCase(java.util.Locale.ROOT) : null);
    }));
  }

  private Future<Principal> check(HttpServerRequest req) {
    String origin = req.headers().get("Origin");
    if (origin != null && !settings.allowedOrigins().contains(origin)) {
      return Future.failedFuture(new Refusal(403, "origin " + origin + " is not allowed"));
    }
    TokenSources.Found token = TokenSources.ofHandshake(req.headers(), req.query());
    if (!token.present()) {
      return unauthenticated(req, token.source() == TokenSources.Source.NONE ? "no token" : "malformed token");
    }
    Future<Principal> verified;
    try {
      verified = authenticator.authenticate(token.token());
    } catch (RuntimeException e) {
      verified = Future.failedFuture(e);
    }
    return verified
        .recover(err -> unauthenticated(req, err.getMessage()))
        .compose(p -> {
          String why = StorableText.problem(p.subject(), StorableText.MAX_SUBJECT);
          return why == null ? Future.succeededFuture(p) : unauthenticated(req, "token subject " + why);
        })
        .compose(p -> RevocationCheck.verdict(revocations, reads, false, p).compose(v -> switch (v) {
          case ACCEPT -> Future.succeededFuture(p);
          case REVOKED -> this.<Principal>unauthenticated(req, "token revoked");
          default -> Future.<Principal>failedFuture(new Refusal(503, "revocation cannot be checked"));
        }))
        .compose(p -> users.check(p, false).recover(e -> Future.failedFuture(e instanceof ProblemException pe
            ? new Refusal(pe.problem()) : e)))
        .compose(p -> p.may(Permission.STREAM_CONNECT) ? Future.succeededFuture(p)
            : Future.<Principal>failedFuture(new Refusal(Problem.of(403, "this needs the permission "
                + Permission.STREAM_CONNECT.wireName()))))
        .compose(p -> limiter.check("sub:" + p.subject(), OPERATION).compose(d -> d.allowed()
            ? Future.succeededFuture(p) : Future.<Principal>failedFuture(new Refusal(429, "rate limited"))))
        .compose(p -> hub.ensureListening().map(p));
  }

  /**
   * A handshake without a valid token takes a token from the client address's {@code unauthenticated} bucket, as an
   * API request does: always fails, with 401, or 429 once the address is over its limit.
   */
  private <T> Future<T> unauthenticated(HttpServerRequest req, String reason) {
    return limiter.check(RateLimitHandler.ipSubject(req.remoteAddress()), RateLimitHandler.UNAUTHENTICATED)
        .transform(ar -> Future.failedFuture(ar.succeeded() && !ar.result().allowed()
            ? new Refusal(429, "rate limited (" + reason + ")") : new Refusal(401, reason)));
  }

  private static void refuse(HttpServerRequest req, int status, String reason, Problem given) {
    SocketAddress from = req.remoteAddress();
    LOG.info("stream handshake refused with {} from {}: {}", status, from == null ? "?" : from.hostAddress(),
        reason);
    Problem problem = given != null ? given : switch (status) {
      case 401 -> ProblemHandler.standard(401);
      case 403 -> Problem.of(403, "this origin may not open the stream");
      case 429 -> Problem.of(429, "too many stream connections; retry later");
      default -> ProblemHandler.standard(status);
    };
    var response = req.response();
    if (status == 401) {
      response.putHeader(ProblemHandler.WWW_AUTHENTICATE, ProblemHandler.DEFAULT_CHALLENGE);
    }
    if (status == 429 || status == 503) {
      response.putHeader("Retry-After", "1");
    }
    // Let the handshake's end through so the connection can serve its next request.
    req.resume();
    response.setStatusCode(status).putHeader("Content-Type", Problem.CONTENT_TYPE)
        .putHeader("Cache-Control", "no-store").end(problem.toBuffer());
  }

  private static final class Refusal extends RuntimeException {
    final int status;
    /** The answer, when it is not the standard one for the status. */
    final Problem problem;

    Refusal(int status, String message) {
      super(message, null, false, false);
      this.status = status;
      this.problem = null;
    }

    Refusal(Problem problem) {
      super(problem.detail(), null, false, false);
      this.status = problem.status();
      this.problem = problem;
    }
  }
}
