package dev.ledgerline.providers;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Verifies a Plaid webhook as Plaid documents it: the {@code Plaid-Verification} header is a compact JWT that must be
 * ES256 (any other {@code alg} is refused, so no algorithm confusion), signed by the key its {@code kid} names (fetched
 * from {@code /webhook_verification_key/get} and cached), issued ({@code iat}) within {@code maxAge} of now in either
 * direction, and carrying the SHA-256 of the exact body bytes ({@code request_body_sha256}, compared in constant time).
 * A webhook that fails any check is a {@link WebhookRejectedException}.
 *
 * <p>The signature check costs about a millisecond of CPU, and the route needs no token: it runs on a worker, never on
 * an event loop, and at most {@link #MAX_PENDING_CHECKS} wait or run at once; beyond that a webhook is answered
 * {@link WebhookBusyException} at once (the provider retries), so a flood of forgeries queues no work. Nor does it
 * make calls to Plaid: a key id Plaid did not know is remembered for five minutes, and key ids not seen before are
 * looked up {@link #LOOKUP_BURST} at once, then one a second.
 */
public final class PlaidWebhookVerifier {
  private static final Base64.Decoder B64URL = Base64.getUrlDecoder();
  private static final int SIGNATURE_BYTES = 64;
  private static final int MAX_HEADER_CHARS = 4096;
  /** Signature checks waiting or running at once, at the most. */
  public static final int MAX_PENDING_CHECKS = 64;

  private final PlaidClient plaid;
  private final Clock clock;
  private final Duration maxAge;
  /**
   * Lookups of key ids not seen before: a burst of this many, then one a second. Forged webhooks naming invented key
   * ids cannot make the node call Plaid faster than that.
   */
  static final int LOOKUP_BURST = 5;

  private final Cache<String, PublicKey> keys = Caffeine.newBuilder().maximumSize(100)
      .expireAfterWrite(Duration.ofHours(24)).build();
  /** Key ids Plaid knew: looked up again (when their key expires here) without waiting for the pace. */
  private final Cache<String, Boolean> known = Caffeine.newBuilder().maximumSize(100)
      .expireAfterWrite(Duration.ofDays(30)).build();
  /** Key ids Plaid did not know, for a while: each invented one costs one lookup at most. */
  private final Cache<String, Boolean> unknown = Caffeine.newBuilder().maximumSize(10_000)
      .expireAfterWrite(Duration.ofMinutes(5)).build();
  /** Lookups under way by key id: a burst of webhooks naming one key makes one call. */
  private final ConcurrentHashMap<String, Future<PublicKey>> lookups = new ConcurrentHashMap<>();
  private double lookupTokens = LOOKUP_BURST;
  private long lookupRefilledAt = Long.MIN_VALUE;

  private final WorkerExecutor checks;
  private final AtomicInteger pending = new AtomicInteger();

  /** Checks signatures on the caller's thread (tests). */
  public PlaidWebhookVerifier(PlaidClient plaid, Clock clock, Duration maxAge) {
    this(plaid, clock, maxAge, null);
  }

  /**
   * @param maxAge Plaid recommends 5 minutes
   * @param checks where signature checks run; null runs them on the caller's thread
   */
  public PlaidWebhookVerifier(PlaidClient plaid, Clock clock, Duration maxAge, WorkerExecutor checks) {
    this.plaid = plaid;
    this.clock = clock;
    this.maxAge = maxAge;
    this.checks = checks;
  }

  /** Succeeds when {@code header} (the {@code Plaid-Verification} value, null when absent) verifies {@code body}. */
  public Future<Void> verify(String header, Buffer body) {
    String[] parts;
    JsonObject jose;
    JsonObject claims;
    try {
      if (header == null || header.isBlank() || header.length() > MAX_HEADER_CHARS) {
        throw new WebhookRejectedException("no Plaid-Verification header");
      }
      parts = header.split("\\.", -1);
      if (parts.length != 3) {
        throw new WebhookRejectedException("Plaid-Verification is not a compact JWT");
      }
      jose = json(parts[0]);
      claims = json(parts[1]);
      if (!"ES256".equals(jose.getValue("alg")) || !(jose.getValue("kid") instanceof String)) {
        throw new WebhookRejectedException("the webhook JWT must be ES256 with a kid");
      }
      // An iat past any plausible date would overflow the subtraction below.
      if (!(claims.getValue("iat") instanceof Number iat) || iat.longValue() < 0 || iat.longValue() > 1L << 40) {
        throw new WebhookRejectedException("the webhook JWT has no iat");
      }
      long skew = Math.abs(clock.instant().getEpochSecond() - iat.longValue());
      if (skew > maxAge.toSeconds()) {
        throw new WebhookRejectedException("the webhook was signed " + skew + " s away from now");
      }
      if (!(claims.getValue("request_body_sha256") instanceof String)) {
        throw new WebhookRejectedException("the webhook JWT has no request_body_sha256");
      }
    } catch (WebhookRejectedException e) {
      return Future.failedFuture(e);
    }
    String kid = jose.getString("kid");
    String signed = parts[0] + "." + parts[1];
    String signature = parts[2];
    String claimedHash = claims.getString("request_body_sha256");
    return key(kid).compose(key -> check(() -> signatureAndBody(key, signed, signature, claimedHash, body)));
  }

  private Future<Void> check(Runnable verification) {
    if (checks == null) {
      try {
        verification.run();
        return Future.succeededFuture();
      } catch (WebhookRejectedException e) {
        return Future.failedFuture(e);
      }
    }
    if (pending.incrementAndGet() > MAX_PENDING_CHECKS) {
      pending.decrementAndGet();
      return Future.failedFuture(new WebhookBusyException(MAX_PENDING_CHECKS + " webhook signatures are being checked"));
    }
    return checks.<Void>executeBlocking(() -> {
      verification.run();
      return null;
    }, false).andThen(ar -> pending.decrementAndGet());
  }

  /** The ECDSA signature over the JWT's first two parts, then the body's SHA-256 against the claimed one. */
  private static void signatureAndBody(PublicKey key, String signed, String signature, String claimedHash,
      Buffer body) {
    try {
      byte[] sig = B64URL.decode(signature);
      Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
      v.initVerify(key);
      v.update(signed.getBytes(StandardCharsets.US_ASCII));
      if (sig.length != SIGNATURE_BYTES || !v.verify(sig)) {
        throw new WebhookRejectedException("the webhook signature does not verify");
      }
      byte[] expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body.getBytes()))
          .getBytes(StandardCharsets.US_ASCII);
      if (!MessageDigest.isEqual(expected, claimedHash.getBytes(StandardCharsets.US_ASCII))) {
        throw new WebhookRejectedException("the webhook body does not match its signature");
      }
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new WebhookRejectedException("the webhook signature cannot be read");
    }
  }

  private Future<PublicKey> key(String kid) {
    PublicKey cached = keys.getIfPresent(kid);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    if (unknown.getIfPresent(kid) != null) {
      return Future.failedFuture(new WebhookRejectedException("unknown webhook key id"));
    }
    Future<PublicKey> running = lookups.get(kid);
    if (running != null) {
      return onCallerContext(running);
    }
    // The route needs no token: without a pace, every forged webhook naming a new key id would be a call to Plaid
    // with our credentials, on the connections payments use. Plaid's own webhooks are retried when refused busy, and
    // a key id that verified before is never held back by forgeries draining the pace.
    if (known.getIfPresent(kid) == null && !lookupAllowed(clock.millis())) {
      return Future.failedFuture(new WebhookBusyException("webhook keys are being looked up too often"));
    }
    Promise<PublicKey> mine = Promise.promise();
    running = lookups.putIfAbsent(kid, mine.future());
    if (running != null) {
      return onCallerContext(running);
    }
    lookup(kid).onComplete(ar -> {
      if (ar.failed() && ar.cause() instanceof WebhookRejectedException) {
        unknown.put(kid, Boolean.TRUE);
      }
      lookups.remove(kid, mine.future());
      mine.handle(ar);
    });
    return mine.future();
  }

  /** A lookup another webhook started, answered on this webhook's own context. */
  private static <T> Future<T> onCallerContext(Future<T> shared) {
    Context context = Vertx.currentContext();
    if (context == null) {
      return shared;
    }
    Promise<T> mine = Promise.promise();
    shared.onComplete(ar -> context.runOnContext(v -> mine.handle(ar)));
    return mine.future();
  }

  private synchronized boolean lookupAllowed(long nowMillis) {
    if (lookupRefilledAt != Long.MIN_VALUE) {
      lookupTokens = Math.min(LOOKUP_BURST, lookupTokens + Math.max(0, nowMillis - lookupRefilledAt) / 1000.0);
    }
    lookupRefilledAt = nowMillis;
    if (lookupTokens < 1) {
      return false;
    }
    lookupTokens -= 1;
    return true;
  }

  private Future<PublicKey> lookup(String kid) {
    return plaid.webhookVerificationKey(kid).recover(e -> Future.failedFuture(e instanceof ProviderUnavailableException
            ? e : new WebhookRejectedException("unknown webhook key id")))
        .compose(jwk -> {
          try {
            if (jwk == null || !"EC".equals(jwk.getValue("kty")) || !"P-256".equals(jwk.getValue("crv"))
                || jwk.getValue("expired_at") != null) {
              throw new WebhookRejectedException("the webhook key is not a current P-256 key");
            }
            PublicKey key = publicKey(jwk.getString("x"), jwk.getString("y"));
            keys.put(kid, key);
            known.put(kid, Boolean.TRUE);
            return Future.succeededFuture(key);
          } catch (WebhookRejectedException e) {
            return Future.failedFuture(e);
          } catch (IllegalArgumentException | ClassCastException | GeneralSecurityException e) {
            return Future.failedFuture(new WebhookRejectedException("the webhook key cannot be read"));
          }
        });
  }

  /** The order of P-256: an ECDSA signature (r, s) verifies as (r, n - s) too. */
  private static final BigInteger P256_ORDER =
      new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

  /**
   * What identifies a verified webhook's JWT, whatever its text: the signed part and the signature as numbers, with
   * {@code s} in its lower form. Base64 padding or {@code n - s} make other headers that verify, for a replay;
   * a fresh signature of the same claims (a new random {@code r}) is another JWT.
   */
  public static String replayKey(String header) {
    int dot = header.lastIndexOf('.');
    byte[] sig = B64URL.decode(header.substring(dot + 1));
    BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(sig, 0, SIGNATURE_BYTES / 2));
    BigInteger sv = new BigInteger(1, java.util.Arrays.copyOfRange(sig, SIGNATURE_BYTES / 2, SIGNATURE_BYTES));
    BigInteger low = sv.min(P256_ORDER.subtract(sv));
    return header.substring(0, dot) + "." + r.toString(16) + "." + low.toString(16);
  }

  private static PublicKey publicKey(String x, String y) throws GeneralSecurityException {
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec("secp256r1"));
    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
    ECPoint w = new ECPoint(new BigInteger(1, B64URL.decode(x)), new BigInteger(1, B64URL.decode(y)));
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
  }

  private static JsonObject json(String part) {
    try {
      Object v = io.vertx.core.json.Json.decodeValue(Buffer.buffer(B64URL.decode(part)));
      if (v instanceof JsonObject o) {
        return o;
      }
    } catch (RuntimeException e) {
      // falls through to the refusal
    }
    throw new WebhookRejectedException("the webhook JWT is malformed");
  }
}
