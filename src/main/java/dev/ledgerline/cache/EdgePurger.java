package dev.ledgerline.cache;

import dev.ledgerline.config.LedgerlineConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.WebClient;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops public answers from the shared cache in front of the nodes (Varnish, a CDN) when what they say changes:
 * one request per purge to {@code cache.edge.purge-url}, method {@code BAN} (Varnish, see
 * {@code conf/varnish/ledgerline.vcl}) or {@code PURGE} (Fastly-style), naming the surrogate keys in
 * {@code Surrogate-Key} and carrying {@code cache.edge.purge-token} in {@code X-Purge-Token}. Nothing is sent when no
 * URL is configured. A failed purge is logged and not retried: the answers then live to their {@code s-maxage}.
 */
public final class EdgePurger implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EdgePurger.class);
  /** The surrogate key of {@code GET /v1/institutions}. */
  public static final String INSTITUTIONS = "institutions";
  /** The surrogate key of {@code GET /openapi.json}. */
  public static final String OPENAPI = "openapi";
  public static final String TOKEN_HEADER = "X-Purge-Token";
  private static final long TIMEOUT_MS = 5_000;

  private final LedgerlineConfig.CacheEdge edge;
  private final WebClient client;

  public EdgePurger(Vertx vertx, LedgerlineConfig.CacheEdge edge) {
    this.edge = edge;
    this.client = edge.purgeUrl().isEmpty() ? null : WebClient.create(vertx);
  }

  /** Purges every cached answer tagged with one of these keys; completes when the cache answered (2xx). */
  public Future<Void> purge(Collection<String> keys) {
    if (client == null || keys.isEmpty()) {
      return Future.succeededFuture();
    }
    Set<String> sorted = new TreeSet<>(keys);
    String list = String.join(" ", sorted);
    var request = client.requestAbs(HttpMethod.valueOf(edge.purgeMethod()), edge.purgeUrl())
        .putHeader("Surrogate-Key", list).timeout(TIMEOUT_MS);
    if (!edge.purgeToken().isEmpty()) {
      request.putHeader(TOKEN_HEADER, edge.purgeToken());
    }
    return request.send().<Void>compose(r -> {
      if (r.statusCode() / 100 != 2) {
        return Future.failedFuture("the edge answered " + r.statusCode());
      }
      return Future.succeededFuture();
    }).onSuccess(v -> LOG.info("edge purge of {} done", list))
        .onFailure(e -> LOG.warn("edge purge of {} failed ({}); cached answers live to their s-maxage", list,
            e.getMessage()));
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
