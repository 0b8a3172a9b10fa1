package dev.ledgerline.gateway.routes;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.providers.PlaidWebhookVerifier;
import dev.ledgerline.providers.WebhookBusyException;
import dev.ledgerline.providers.WebhookRejectedException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/provider-webhooks/plaid}: the provider's webhooks. There is no token; the {@code Plaid-Verification}
 * JWT is the authentication, so nothing in the body is read before it verifies. A verified
 * {@code TRANSFER_EVENTS_UPDATE} is sent to {@link #TRANSFER_EVENTS_ADDRESS} for a transactions node to sync the
 * provider's transfer events; every other verified webhook is acknowledged and ignored.
 *
 * <p>Replays: a verified webhook's JWT is remembered (by the SHA-256 of {@link PlaidWebhookVerifier#replayKey}) for
 * twice the {@code iat} window, which covers every instant at which the verifier would still accept it; a second
 * delivery of the same JWT is a 401. The memory is per gateway node (Caffeine): a replay to another node passes, which
 * is harmless because the webhook only tells a node to sync from its stored cursor (the sync is idempotent), never
 * carries state of its own.
 */
public final class ProviderWebhookRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(ProviderWebhookRoutes.class);
  public static final String PATH = "/v1/provider-webhooks/plaid";
  public static final String HEADER = "Plaid-Verification";
  /** Where a verified transfer update goes: one transactions node syncs the provider's events. */
  public static final String TRANSFER_EVENTS_ADDRESS = dev.ledgerline.transactions.TransactionsApi
      .PROVIDER_TRANSFER_EVENTS;
  /** The body cap: Plaid's webhooks are a few hundred bytes. */
  public static final long BODY_LIMIT = 16 * 1024;
  static final String TYPE_SIGNATURE = "urn:ledgerline:problem:webhook-signature";

  private final Vertx vertx;
  private final PlaidWebhookVerifier verifier;
  private final Cache<String, Boolean> seen;

  /** @param window the verifier's {@code iat} window (either direction) */
  public ProviderWebhookRoutes(Vertx vertx, PlaidWebhookVerifier verifier, Duration window) {
    this.vertx = vertx;
    this.verifier = verifier;
    this.seen = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(window.multipliedBy(2)).build();
  }

  public Handler<RoutingContext> plaid() {
    return rc -> {
      if (verifier == null) {
        Problem.of(503, "provider webhooks are not available on this node").send(rc);
        return;
      }
      String header = rc.request().getHeader(HEADER);
      Buffer body = rc.body().buffer() == null ? Buffer.buffer() : rc.body().buffer();
      verifier.verify(header, body).onComplete(ar -> {
        if (ar.failed()) {
          if (ar.cause() instanceof WebhookRejectedException e) {
            unauthorized(rc, e.getMessage());
          } else if (ar.cause() instanceof WebhookBusyException busy) {
            rc.response().putHeader("Retry-After", "1");
            Problem.of(503, busy.getMessage() + "; retry").send(rc);
          } else {
            LOG.warn("webhook verification could not complete: {}", ar.cause().toString());
            rc.response().putHeader("Retry-After", "5");
            Problem.of(503, "the webhook cannot be verified now; retry").send(rc);
          }
          return;
        }
        // Verified: the same JWT is accepted once, in whichever of the texts that verify it comes.
        if (seen.asMap().putIfAbsent(sha256(PlaidWebhookVerifier.replayKey(header)), Boolean.TRUE) != null) {
          unauthorized(rc, "this webhook was already delivered");
          return;
        }
        JsonObject json;
        try {
          json = new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
          Reply.problem(Problem.validation(List.of(new FieldError("", "must be a JSON object")))).send(rc, false);
          return;
        }
        Object type = json.getValue("webhook_type");
        Object code = json.getValue("webhook_code");
        if (!(type instanceof String) || !(code instanceof String)) {
          Reply.problem(Problem.validation(List.of(new FieldError("webhook_type", "must be a string"),
              new FieldError("webhook_code", "must be a string")))).send(rc, false);
          return;
        }
        if ("TRANSFER".equals(type) && "TRANSFER_EVENTS_UPDATE".equals(code)) {
          vertx.eventBus().send(TRANSFER_EVENTS_ADDRESS, new JsonObject().put("webhook_code", code)
              .put("environment", json.getValue("environment") instanceof String s ? s : null));
        }
        Reply.json(200, new JsonObject().put("received", true).toBuffer()).send(rc, false);
      });
    };
  }

  private static void unauthorized(RoutingContext rc, String detail) {
    Problem.of(401, detail).withType(TYPE_SIGNATURE).withTitle("Unauthorized").send(rc);
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
