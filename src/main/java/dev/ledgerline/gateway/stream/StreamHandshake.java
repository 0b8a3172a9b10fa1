package dev.ledgerline.gateway.stream;

import dev.ledgerline.gateway.api.Access;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.auth.RevocationStore;
import dev.ledgerline.gateway.auth.TokenSources;
import dev.ledgerline.gateway.ratelimit.RateLimiter;
import dev.ledgerline.gateway.ratelimit.RateLimitHandler;
import dev.ledgerline.gateway.security.RevocationCheck;
import dev.ledgerline.gateway.security.SecurityHooks;
import dev.ledgerline.ledger.LedgerClient;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket handshake of {@code GET /v1/stream}. Upgrades never reach the router once a handshake handler is
 * set, so everything the API's routes check is checked here, before the upgrade is accepted:
 *
 * <ol>
 *   <li>path {@code /v1/stream}, else 404;
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
public final class StreamHandshake implements Handler<ServerWebSocketHandshake> {
  private static final Logger LOG = LoggerFactory.getLogger(StreamHandshake.class);
  public static final String PATH = "/v1/stream";
  public static final String OPERATION = "stream.connect";

  /** What the handshake needs; built once per gateway instance. */
  public record Settings(Set<String> allowedOrigins, Duration pingInterval, int maxQueued,
      int maxAccountsPerMessage, int maxAccounts) {}

  private final Vertx vertx;
  private final JwtAuthenticator authenticator;
  private final RevocationStore revocations;
  private final RevocationStore.ReadsWhenUnavailable reads;
  private final RateLimiter limiter;
  private final Access access;
  private final LedgerClient ledger;
  private final StreamHub hub;
  private final StreamMetrics metrics;
  private final Settings settings;
  private final Clock clock;

  public StreamHandshake(Vertx vertx, JwtAuthenticator authenticator, RevocationStore revocations,
      RevocationStore.ReadsWhenUnavailable reads, RateLimiter limiter, Access access, LedgerClient ledger,
      StreamMetrics metrics, Settings settings, Clock clock) {
    this.vertx = vertx;
    this.authenticator = authenticator;
    this.revocations = revocations;
    this.reads = reads;
    this.limiter = limiter;
    this.access = access;
    this.ledger = ledger;
    this.hub = new StreamHub(vertx);
    this.metrics = metrics;
    this.settings = settings;
    this.clock = clock;
  }

  public StreamHub hub() {
    return hub;
  }

  @Override
  public void handle(ServerWebSocketHandshake h) {
    if (!PATH.equals(h.path())) {
      h.reject(404);
      return;
    }
    String origin = h.headers().get("Origin");
    if (origin != null && !settings.allowedOrigins().contains(origin)) {
      refuse(h, 403, "origin " + origin + " is not allowed");
      return;
    }
    TokenSources.Found token = TokenSources.ofHandshake(h.headers(), h.query());
    if (!token.present()) {
      unauthenticated(h, token.source() == TokenSources.Source.NONE ? "no token" : "malformed token")
          .onComplete(ar -> refuse(h, ((Refusal) ar.cause()).status, ar.cause().getMessage()));
      return;
    }
    authenticator.authenticate(token.token())
        .recover(err -> unauthenticated(h, err.getMessage()))
        .compose(p -> RevocationCheck.verdict(revocations, reads, false, p).compose(v -> switch (v) {
          case ACCEPT -> Future.succeededFuture(p);
          case REVOKED -> this.<Principal>unauthenticated(h, "token revoked");
          default -> Future.<Principal>failedFuture(new Refusal(503, "revocation cannot be checked"));
        }))
        .compose(p -> limiter.check("sub:" + p.subject(), OPERATION).compose(d -> d.allowed()
            ? Future.succeededFuture(p) : Future.<Principal>failedFuture(new Refusal(429, "rate limited"))))
        .compose(p -> hub.ensureListening().map(p))
        .onComplete(ar -> {
          if (ar.failed()) {
            int status = ar.cause() instanceof Refusal r ? r.status : 500;
            refuse(h, status, ar.cause().getMessage());
            return;
          }
          Principal p = ar.result();
          // An unavailable store does not end an open stream: it was authorized, and exp still bounds it.
          h.accept().onSuccess(ws -> new StreamConnection(vertx, ws, p, access, ledger, hub, metrics,
              settings.maxQueued(),
              new StreamConnection.Caps(settings.maxAccountsPerMessage(), settings.maxAccounts()), () -> p.jti() == null ? Future.succeededFuture(false)
                  : revocations.isRevoked(p.jti()).recover(e -> Future.succeededFuture(false)))
              .start(settings.pingInterval(), clock))
              .onFailure(e -> LOG.debug("stream handshake of {} failed: {}", p.subject(), e.toString()));
        });
  }

  /**
   * A handshake without a valid token takes a token from the client address's {@code unauthenticated} bucket, as an
   * API request does: always fails, with 401, or 429 once the address is over its limit.
   */
  private <T> Future<T> unauthenticated(ServerWebSocketHandshake h, String reason) {
    return limiter.check(RateLimitHandler.ipSubject(h.remoteAddress()), SecurityHooks.UNAUTHENTICATED)
        .transform(ar -> Future.failedFuture(ar.succeeded() && !ar.result().allowed()
            ? new Refusal(429, "rate limited (" + reason + ")") : new Refusal(401, reason)));
  }

  private static void refuse(ServerWebSocketHandshake h, int status, String reason) {
    SocketAddress from = h.remoteAddress();
    LOG.info("stream handshake refused with {} from {}: {}", status, from == null ? "?" : from.hostAddress(),
        reason);
    h.reject(status);
  }

  private static final class Refusal extends RuntimeException {
    final int status;

    Refusal(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
