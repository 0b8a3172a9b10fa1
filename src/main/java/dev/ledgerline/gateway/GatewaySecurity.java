package dev.ledgerline.gateway;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.ratelimit.RateLimiter;
import dev.ledgerline.gateway.revocation.RevocationRecords;
import dev.ledgerline.gateway.revocation.RevocationStore;
import dev.ledgerline.roles.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway's cross-cutting security parts share on one node, made once for all gateway instances: the rate
 * limiter (one per node, as its fallback divides by the member count), the revocation store and the settings of
 * CORS, TLS and the stream.
 */
public final class GatewaySecurity implements Shareable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewaySecurity.class);
  private static final String MAP = "ledgerline.gateway.security";

  private final RateLimiter limiter;
  private final RevocationStore revocations;
  private final RevocationStore.ReadsWhenUnavailable readsWhenUnavailable;
  private final Set<String> allowedOrigins;
  private final boolean tls;
  private final Duration pingInterval;
  private final int maxQueued;
  private final int maxAccountsPerMessage;
  private final int maxAccounts;
  private final Future<Void> started;

  private GatewaySecurity(NodeContext node) {
    LedgerlineConfig cfg = node.config();
    this.limiter = new RateLimiter(node.vertx(), node.services().redis(), cfg.gateway().rateLimits(),
        node.members(), node.registry(), RateLimiter.Options.from(cfg));
    this.revocations = new RevocationStore(node.services().redis(),
        new RevocationRecords(node.services().pool()), RevocationStore.Options.from(cfg), Clock.systemUTC());
    this.readsWhenUnavailable = RevocationStore.ReadsWhenUnavailable.from(cfg);
    this.allowedOrigins = allowedOrigins(cfg);
    this.tls = Boolean.TRUE.equals(cfg.value("gateway.tls.enabled"));
    this.pingInterval = cfg.durationValue("gateway.stream.ping-interval");
    this.maxQueued = ((Number) cfg.value("gateway.stream.max-queued")).intValue();
    this.maxAccountsPerMessage = ((Number) cfg.value("gateway.stream.max-accounts-per-message")).intValue();
    this.maxAccounts = ((Number) cfg.value("gateway.stream.max-accounts")).intValue();
    node.configService().onReload(c -> {
      limiter.updateLimits(c.gateway().rateLimits());
      LOG.info("rate limits reloaded: {}", c.gateway().rateLimits().keySet());
    });
    this.started = Future.join(limiter.start(), revocations.start(node.vertx())).mapEmpty();
  }

  private static Set<String> allowedOrigins(LedgerlineConfig cfg) {
    Set<String> out = new LinkedHashSet<>();
    Object list = cfg.value("gateway.cors.allowed-origins");
    if (list instanceof JsonArray a) {
      a.forEach(o -> out.add(String.valueOf(o)));
    } else if (list instanceof Iterable<?> it) {
      it.forEach(o -> out.add(String.valueOf(o)));
    }
    return Set.copyOf(out);
  }

  /** The node's instance, made on first use. */
  public static GatewaySecurity shared(NodeContext node) {
    return (GatewaySecurity) node.vertx().sharedData().<String, Object>getLocalMap(MAP)
        .computeIfAbsent("security", k -> new GatewaySecurity(node));
  }

  /** The node's instance if a gateway made one, else null (for health checks). */
  public static GatewaySecurity existing(Vertx vertx) {
    return (GatewaySecurity) vertx.sharedData().<String, Object>getLocalMap(MAP).get("security");
  }

  /**
   * Completes once the limiter has loaded its script or gone degraded and the revocation store has made its first
   * sync (refilling Redis from PostgreSQL if needed); never fails.
   */
  public Future<Void> started() {
    return started;
  }

  /** Readiness data: up in both modes, {@code degraded: true} while buckets are local. */
  public JsonObject health() {
    boolean d = limiter.degraded();
    return new JsonObject().put("backend", d ? "local" : "redis").put("degraded", d);
  }

  public RateLimiter limiter() {
    return limiter;
  }

  public RevocationStore revocations() {
    return revocations;
  }

  public RevocationStore.ReadsWhenUnavailable readsWhenUnavailable() {
    return readsWhenUnavailable;
  }

  /** Exact origins ({@code scheme://host[:port]}) allowed by CORS and the stream's Origin check. */
  public Set<String> allowedOrigins() {
    return allowedOrigins;
  }

  public boolean tls() {
    return tls;
  }

  public Duration pingInterval() {
    return pingInterval;
  }

  public int maxQueued() {
    return maxQueued;
  }

  /** Account ids per stream subscribe or unsubscribe message. */
  public int maxAccountsPerMessage() {
    return maxAccountsPerMessage;
  }

  /** Subscribed accounts per stream connection. */
  public int maxAccounts() {
    return maxAccounts;
  }
}
