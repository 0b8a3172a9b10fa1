package dev.ledgerline.gateway.routes;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.providers.PaymentProvider;
import dev.ledgerline.providers.PaymentProvider.Institution;
import dev.ledgerline.providers.ProviderUnavailableException;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/institutions}: the provider's institution catalog, public data that needs no token. It changes
 * rarely, so answers carry public HTTP cache headers ({@code cache.edge.*}: browsers briefly, shared caches and the CDN
 * long, purged through {@code EdgePurger} when it changes), a {@code Surrogate-Key} and a strong ETag; each gateway
 * instance also keeps rendered pages for an hour, so a burst of anonymous requests costs the
 * provider one call per page. A request with a token still gets {@code no-store} ({@link SecurityHeaders}).
 */
public final class InstitutionRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(InstitutionRoutes.class);
  public static final String PATH = "/v1/institutions";
  /** Tags the answers in the edge cache, so that a purge of this key drops every page. */
  public static final String SURROGATE_KEY = dev.ledgerline.cache.EdgePurger.INSTITUTIONS;
  static final int DEFAULT_COUNT = 100;
  static final int MAX_COUNT = 500;
  static final int MAX_OFFSET = 100_000;
  private static final Duration KEPT = Duration.ofHours(1);
  private static final Set<String> PARAMS = Set.of("count", "offset", "country_codes");

  private record Rendered(Buffer body, String etag) {}

  private final PaymentProvider provider;
  private final java.util.function.Supplier<String> cacheControl;
  private final Cache<String, Rendered> pages = Caffeine.newBuilder().maximumSize(256).expireAfterWrite(KEPT).build();

  /** {@code cacheControl}: the current {@code cache.edge.*} freshness of public answers. */
  public InstitutionRoutes(PaymentProvider provider, java.util.function.Supplier<String> cacheControl) {
    this.provider = provider;
    this.cacheControl = cacheControl;
  }

  /** The {@code Cache-Control} of public answers now (also used for {@code /openapi.json}). */
  public String cacheControl() {
    return cacheControl.get();
  }

  public Handler<RoutingContext> list() {
    return rc -> {
      QueryParams q = QueryParams.strict(rc.queryParams(), PARAMS);
      int count = q.integer("count", DEFAULT_COUNT, 1, MAX_COUNT);
      int offset = q.integer("offset", 0, 0, MAX_OFFSET);
      List<FieldError> errors = q.errors();
      String countries = q.get("country_codes") == null ? "US" : q.get("country_codes");
      if (!countries.matches("[A-Z]{2}(,[A-Z]{2}){0,9}")) {
        q.error("country_codes", "must be 1 to 10 ISO 3166-1 alpha-2 codes, comma-separated");
      }
      if (!errors.isEmpty()) {
        Reply.problem(Problem.validation(errors)).send(rc, false);
        return;
      }
      String key = count + "/" + offset + "/" + countries;
      Rendered cached = pages.getIfPresent(key);
      if (cached != null) {
        send(rc, cached);
        return;
      }
      provider.institutions(count, offset, Arrays.asList(countries.split(","))).onComplete(ar -> {
        if (rc.response().ended() || rc.response().closed()) {
          return;
        }
        if (ar.failed()) {
          Throwable e = ar.cause();
          int retry = e instanceof ProviderUnavailableException u && u.retryAfter() != null
              ? (int) Math.max(1, Math.min(3600, u.retryAfter().toSeconds())) : 1;
          LOG.warn("institutions: {}", e instanceof dev.ledgerline.providers.ProviderException pe
              ? pe.errorType() + " " + pe.errorCode() : e.getClass().getSimpleName());
          Reply.problem(Problem.of(503, "the institution catalog is unavailable; retry later")
              .withType(LinkedAccountRoutes.TYPE_PROVIDER_UNAVAILABLE)).notKept().withRetryAfter(retry)
              .send(rc, false);
          return;
        }
        JsonArray list = new JsonArray();
        for (Institution i : ar.result().institutions()) {
          list.add(new JsonObject().put("institution_id", i.institutionId()).put("name", i.name())
              .put("products", new JsonArray(i.products())).put("country_codes", new JsonArray(i.countryCodes())));
        }
        Buffer body = new JsonObject().put("institutions", list).put("total", ar.result().total()).toBuffer();
        Rendered r = new Rendered(body, etag(body));
        pages.put(key, r);
        send(rc, r);
      });
    };
  }

  private void send(RoutingContext rc, Rendered r) {
    var response = rc.response().putHeader("Cache-Control", cacheControl.get()).putHeader("ETag", r.etag())
        .putHeader("Surrogate-Key", SURROGATE_KEY);
    if (matches(rc.request().getHeader("If-None-Match"), r.etag())) {
      response.setStatusCode(304).end();
      return;
    }
    response.setStatusCode(200).putHeader("Content-Type", Reply.JSON).end(r.body());
  }

  /** RFC 9110 §13.1.2: {@code *} or a list of tags, compared weakly. */
  static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    String bare = etag.startsWith("W/") ? etag.substring(2) : etag;
    for (String tag : ifNoneMatch.split(",")) {
      String t = tag.trim();
      if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(bare)) {
        return true;
      }
    }
    return false;
  }

  private static String etag(Buffer body) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(body.getBytes());
      return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 16)) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
