package dev.ledgerline.gateway.auth;

import dev.ledgerline.users.Role;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.ledgerline.config.LedgerlineConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.auth.impl.jose.JWT;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies bearer tokens in three steps, cheapest first:
 *
 * <ol>
 *   <li>the form, before any signature work: at most {@link #MAX_TOKEN_LENGTH} characters, three base64url
 *       segments, a JOSE header that is a JSON object with an allowed algorithm that has a configured key (never
 *       {@code none}, never HS256 unless a secret is configured), a known {@code kid}, no embedded or remote keys, and
 *       a signature of the algorithm's length;</li>
 *   <li>the signature, by vert.x-auth-jwt's JOSE verifier;</li>
 *   <li>the claims (RFC 8725), only once the signature holds: {@code exp} required, every NumericDate a number in
 *       range, {@code iss} and {@code aud} equal to the configuration, {@code nbf}/{@code iat} not in the future
 *       beyond the leeway, {@code sub} (and {@code jti}) printable text of bounded length, {@code roles} a non-empty
 *       subset of user/operator/admin and, by default, a {@code jti}.</li>
 * </ol>
 *
 * Every refusal is an {@link AuthenticationException}, whatever the input.
 *
 * <p>Verified tokens are cached (bounded, keyed by the token's SHA-256 and the generation of the key set that
 * verified it, each entry expiring at the token's {@code exp}), so a signature is checked once per token rather than
 * once per request. The JWKS file is re-read when its content changes; a new key set is a new generation, so entries
 * verified under the old keys, including verifications still in flight during the swap, are never found again.
 */
public final class JwtAuthenticator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JwtAuthenticator.class);
  /** Longer Authorization values are refused before any decoding. */
  public static final int MAX_TOKEN_LENGTH = 8192;
  private static final int MAX_CLAIM_LENGTH = 256;
  private static final Set<String> TYPES = Set.of("jwt", "at+jwt", "application/at+jwt");
  /** Largest NumericDate accepted: 9999-12-31T23:59:59Z. Beyond it dates are hostile input, not tokens. */
  static final long MAX_NUMERIC_DATE = 253_402_300_799L;
  /** RSA signatures are as long as the modulus: 2048 to 8192 bits. */
  private static final int MIN_RSA_SIGNATURE = 256;
  private static final int MAX_RSA_SIGNATURE = 1024;
  /** Header members that point at keys elsewhere; honouring them lets the token choose its own key (RFC 8725 §3.10). */
  private static final List<String> KEY_POINTERS = List.of("jku", "x5u", "x5c", "jwk");
  private static final java.util.regex.Pattern COMPACT =
      java.util.regex.Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
  /** Duplicate members in a JOSE header or claims set are refused (RFC 7515 §5.2): no parser differentials. */
  private static final ObjectMapper STRICT = new ObjectMapper(JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(32).build())
      .build());

  private final Vertx vertx;
  private final JwtSettings settings;
  private final Clock clock;
  private final Cache<TokenHash, Principal> cache;
  private final AtomicLong verifications = new AtomicLong();
  private final AtomicLong generations = new AtomicLong();
  private final List<java.util.function.Consumer<JwtKeys>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Verifier verifier;
  private long timer = -1;
  /** Test seam: runs after a signature verified and before the result is cached. */
  volatile Runnable afterVerification;

  /** One key set and its signature verifier; a reload makes a new one with the next generation. */
  private record Verifier(JwtKeys keys, JWT jwt, long generation) {}

  /** Cache key: the token's SHA-256 under one key-set generation. */
  private record TokenHash(long generation, long a, long b, long c, long d) {
    /** One digest per thread: looking the algorithm up on every request costs more than hashing the token. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    });

    static TokenHash of(long generation, String token) {
      MessageDigest md = SHA256.get();
      md.reset();
      ByteBuffer h = ByteBuffer.wrap(md.digest(token.getBytes(StandardCharsets.US_ASCII)));
      return new TokenHash(generation, h.getLong(), h.getLong(), h.getLong(), h.getLong());
    }
  }

  private JwtAuthenticator(Vertx vertx, JwtSettings settings, Clock clock, JwtKeys keys) {
    this.vertx = vertx;
    this.settings = settings;
    this.clock = clock;
    this.verifier = verifier(keys);
    this.cache = settings.cacheSize() == 0 ? null : Caffeine.newBuilder()
        .maximumSize(settings.cacheSize())
        .expireAfter(new Expiry<TokenHash, Principal>() {
          @Override
          public long expireAfterCreate(TokenHash key, Principal p, long currentTime) {
            // Saturated: an exp centuries away would overflow a count of nanoseconds.
            java.time.Duration left = java.time.Duration.between(clock.instant(), p.expiresAt());
            return left.isNegative() ? 0 : left.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE
                : left.toNanos();
          }

          @Override
          public long expireAfterUpdate(TokenHash key, Principal p, long currentTime, long currentDuration) {
            return expireAfterCreate(key, p, currentTime);
          }

          @Override
          public long expireAfterRead(TokenHash key, Principal p, long currentTime, long currentDuration) {
            return currentDuration;
          }
        })
        .build();
  }

  /**
   * The authenticator of a node's configuration. Throws {@link NoVerificationKeysException} when there is no key
   * (the node must not start) and {@link AuthConfigException} for unusable keys or settings.
   */
  public static JwtAuthenticator create(Vertx vertx, LedgerlineConfig config) {
    return create(vertx, JwtSettings.from(config), Clock.systemUTC());
  }

  public static JwtAuthenticator create(Vertx vertx, JwtSettings settings, Clock clock) {
    JwtKeys keys = JwtKeys.load(settings);
    if (keys.isDevelopment()) {
      if (settings.devKeys() == JwtSettings.DevKeysPolicy.ENABLED) {
        LOG.warn("JWT: auth.jwt.dev-keys is true: using the DEVELOPMENT key under {} wherever the gateway listens; "
            + "anyone who can read it can mint tokens. Never in production", settings.dataDir().resolve(DevKeys.DIR));
      } else {
        LOG.warn("JWT: using the DEVELOPMENT key under {} (no auth.jwt keys configured; auth.jwt.dev-keys auto and "
            + "the gateway on loopback); do not use this node in production", settings.dataDir().resolve(DevKeys.DIR));
      }
    }
    LOG.info("JWT: {} verification key(s), kids by algorithm {}", keys.size(), keys);
    return new JwtAuthenticator(vertx, settings, clock, keys);
  }

  /**
   * The JOSE verifier of vert.x-auth-jwt checks the signature only: its {@code JWTAuth} front would also read
   * exp/iat/nbf on its own terms, and the claims are this class's to judge once the signature holds.
   */
  private Verifier verifier(JwtKeys keys) {
    JWT jwt = new JWT();
    for (JsonObject jwk : keys.jwks()) {
      jwt.addJWK(new JWK(jwk.copy()));
    }
    if (jwt.isUnsecure()) {
      // Without keys the verifier accepts unsigned tokens; JwtKeys never yields an empty set, this keeps it so.
      throw new NoVerificationKeysException();
    }
    return new Verifier(keys, jwt, generations.incrementAndGet());
  }

  /** The keys in use. */
  public JwtKeys keys() {
    return verifier.keys();
  }

  /** Full verifications done so far (cache misses that reached signature checking). */
  public long verifications() {
    return verifications.get();
  }

  /**
   * Verifies a token (the part after {@code Bearer }). Fails with {@link AuthenticationException} whose message is
   * the reason (for the log, never for the client).
   */
  public Future<Principal> authenticate(String token) {
    try {
      return Future.succeededFuture(verify(token));
    } catch (AuthenticationException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      // Never thrown at the caller: a handshake handler that is thrown at would leave its connection hanging.
      LOG.error("JWT: unexpected failure while verifying a token", e);
      return Future.failedFuture(e);
    }
  }

  private Principal verify(String token) {
    if (token == null || token.isEmpty()) {
      throw new AuthenticationException("no token");
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      throw new AuthenticationException("token longer than " + MAX_TOKEN_LENGTH + " characters");
    }
    // One key set for the whole verification: a reload meanwhile cannot mix the old keys with the new cache.
    Verifier v = verifier;
    TokenHash hash = cache == null ? null : TokenHash.of(v.generation(), token);
    if (hash != null) {
      Principal hit = cache.getIfPresent(hash);
      if (hit != null) {
        if (clock.instant().isBefore(hit.expiresAt().plus(settings.leeway()))) {
          return hit;
        }
        cache.invalidate(hash);
      }
    }
    JsonObject claims = precheck(token, v.keys());
    verifications.incrementAndGet();
    try {
      v.jwt().decode(token);
    } catch (Exception e) {
      // Bad signature, or no key that can check it: the verifier's words, clipped, for the log.
      throw new AuthenticationException("rejected by the JWT verifier: " + clip(e.getClass().getSimpleName() + ": "
          + e.getMessage()));
    }
    // Only now are the claims judged: nothing in them is trusted, or even converted, before the signature holds.
    Principal p = principal(claims);
    Runnable hook = afterVerification;
    if (hook != null) {
      hook.run();
    }
    if (hash != null) {
      // Under the generation that verified it: after a reload, lookups use the next generation and never see it.
      cache.put(hash, p);
    }
    return p;
  }

  /**
   * Checks everything that needs no signature work (form, header, key, signature length) and returns the claims as
   * parsed JSON, not yet looked at: the verifier then never parses anything but a JSON object without duplicates.
   */
  private JsonObject precheck(String token, JwtKeys keys) {
    if (!COMPACT.matcher(token).matches()) {
      throw new AuthenticationException("not a signed JWT in compact form (three base64url parts)");
    }
    int dot1 = token.indexOf('.');
    int dot2 = token.indexOf('.', dot1 + 1);
    JsonObject header = decodePart(token.substring(0, dot1), "header");
    Object algValue = header.getValue("alg");
    if (!(algValue instanceof String)) {
      throw new AuthenticationException("header has no alg");
    }
    String alg = (String) algValue;
    if (alg.equalsIgnoreCase("none")) {
      throw new AuthenticationException("unsigned token (alg none)");
    }
    if (!settings.algorithms().contains(alg)) {
      throw new AuthenticationException("algorithm " + clip(alg) + " is not allowed (auth.jwt.algorithms)");
    }
    if (!keys.algorithms().contains(alg)) {
      throw new AuthenticationException("no key for algorithm " + alg);
    }
    Object typ = header.getValue("typ");
    if (typ != null && !(typ instanceof String && TYPES.contains(((String) typ).toLowerCase(Locale.ROOT)))) {
      throw new AuthenticationException("typ " + clip(String.valueOf(typ)) + " is not a JWT access token type");
    }
    if (header.containsKey("crit")) {
      throw new AuthenticationException("crit header extensions are not supported");
    }
    for (String m : KEY_POINTERS) {
      if (header.containsKey(m)) {
        throw new AuthenticationException("header member " + m + " is not accepted (keys come from configuration)");
      }
    }
    Object kid = header.getValue("kid");
    if (kid != null && !(kid instanceof String && keys.knows(alg, (String) kid))) {
      throw new AuthenticationException("unknown kid " + clip(String.valueOf(kid)) + " for " + alg);
    }
    JsonObject claims = decodePart(token.substring(dot1 + 1, dot2), "claims");
    int length = base64url(token.substring(dot2 + 1), "signature").length;
    boolean lengthOk = switch (alg) {
      case KeyMaterial.RS256 -> length >= MIN_RSA_SIGNATURE && length <= MAX_RSA_SIGNATURE;
      case KeyMaterial.HS256 -> length == 32;
      default -> length == 64; // ES256 (R||S) and Ed25519
    };
    if (!lengthOk) {
      throw new AuthenticationException("a " + alg + " signature cannot be " + length + " bytes long");
    }
    return claims;
  }

  private static byte[] base64url(String part, String what) {
    try {
      return Base64.getUrlDecoder().decode(part);
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException(what + " is not valid base64url");
    }
  }

  @SuppressWarnings("unchecked")
  private static JsonObject decodePart(String part, String what) {
    try {
      byte[] json = Base64.getUrlDecoder().decode(part);
      Object value = STRICT.readValue(json, Object.class);
      if (!(value instanceof Map)) {
        throw new AuthenticationException(what + " is not a JSON object");
      }
      return new JsonObject((Map<String, Object>) value);
    } catch (AuthenticationException e) {
      throw e;
    } catch (Exception e) {
      // Bad base64, bad JSON, duplicate members: the detail stays out of the log line.
      throw new AuthenticationException(what + " is not valid base64url JSON without duplicate members");
    }
  }

  /** Applies the claim rules to claims whose signature has been verified. */
  Principal principal(JsonObject claims) {
    long now = clock.instant().getEpochSecond();
    long leeway = settings.leeway().toSeconds();
    // exp rounds down and nbf/iat round up: a fractional date (RFC 7519 allows them) never widens the window.
    Long exp = numericDate(claims, "exp", false);
    if (exp == null) {
      throw new AuthenticationException("no exp claim");
    }
    if (now - leeway >= exp) {
      throw new AuthenticationException("expired at " + Instant.ofEpochSecond(exp));
    }
    Long nbf = numericDate(claims, "nbf", true);
    if (nbf != null && nbf > now + leeway) {
      throw new AuthenticationException("not valid before " + Instant.ofEpochSecond(nbf));
    }
    Long iat = numericDate(claims, "iat", true);
    if (iat != null && iat > now + leeway) {
      throw new AuthenticationException("issued in the future (" + Instant.ofEpochSecond(iat) + ")");
    }
    if (!settings.issuer().equals(claims.getValue("iss"))) {
      throw new AuthenticationException("iss " + clip(String.valueOf(claims.getValue("iss"))) + " is not "
          + settings.issuer());
    }
    Object aud = claims.getValue("aud");
    boolean audOk = settings.audience().equals(aud)
        || aud instanceof io.vertx.core.json.JsonArray && ((io.vertx.core.json.JsonArray) aud).contains(
            settings.audience());
    if (!audOk) {
      throw new AuthenticationException("aud " + clip(String.valueOf(aud)) + " does not contain "
          + settings.audience());
    }
    String sub = text(claims, "sub");
    if (sub == null) {
      throw new AuthenticationException("no sub claim");
    }
    String jti = text(claims, "jti");
    if (jti == null && settings.requireJti()) {
      throw new AuthenticationException("no jti claim");
    }
    return new Principal(sub, roles(claims.getValue("roles")), jti, Instant.ofEpochSecond(exp));
  }

  private static Set<Role> roles(Object value) {
    if (!(value instanceof io.vertx.core.json.JsonArray) || ((io.vertx.core.json.JsonArray) value).isEmpty()) {
      throw new AuthenticationException("roles claim missing or not a non-empty array");
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (Object o : (io.vertx.core.json.JsonArray) value) {
      Role r = o instanceof String ? Role.fromClaim((String) o) : null;
      if (r == null) {
        throw new AuthenticationException("unknown role " + clip(String.valueOf(o)));
      }
      roles.add(r);
    }
    return roles;
  }

  /**
   * A text claim: 1 to {@link #MAX_CLAIM_LENGTH} characters with no control character and no lone surrogate, since
   * {@code sub} and {@code jti} become database and Redis keys and log fields. Null when absent.
   */
  private static String text(JsonObject claims, String name) {
    Object v = claims.getValue(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || s.isEmpty() || s.length() > MAX_CLAIM_LENGTH) {
      throw new AuthenticationException(name + " is not a string of 1 to " + MAX_CLAIM_LENGTH + " characters");
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c)) {
        throw new AuthenticationException(name + " contains a control character (U+"
            + String.format("%04X", (int) c) + ")");
      }
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new AuthenticationException(name + " contains a lone surrogate (not valid Unicode text)");
      }
    }
    return s;
  }

  /**
   * A NumericDate claim in whole seconds, null when absent: a JSON number from 0 to {@link #MAX_NUMERIC_DATE};
   * fractions are rounded up or down as asked. Anything else (text, a huge or negative number) is refused.
   */
  private static Long numericDate(JsonObject claims, String name, boolean roundUp) {
    Object v = claims.getValue(name);
    if (v == null) {
      return null;
    }
    String range = name + " is out of range (0 to " + MAX_NUMERIC_DATE + ")";
    if (v instanceof Integer || v instanceof Long) {
      long seconds = ((Number) v).longValue();
      if (seconds < 0 || seconds > MAX_NUMERIC_DATE) {
        throw new AuthenticationException(range);
      }
      return seconds;
    }
    if (v instanceof Double || v instanceof Float) {
      double seconds = ((Number) v).doubleValue();
      if (!Double.isFinite(seconds) || seconds < 0 || seconds > MAX_NUMERIC_DATE) {
        throw new AuthenticationException(range);
      }
      return (long) (roundUp ? Math.ceil(seconds) : Math.floor(seconds));
    }
    if (v instanceof Number) {
      throw new AuthenticationException(range); // BigInteger or BigDecimal: beyond every range here
    }
    throw new AuthenticationException(name + " is not a NumericDate (a JSON number of seconds)");
  }

  private static String clip(String s) {
    String safe = s.replaceAll("[^\\x20-\\x7e]", "?");
    return safe.length() > 64 ? safe.substring(0, 64) + "..." : safe;
  }

  /**
   * Re-reads every key now (the JWKS file included). A broken new key set is refused: the running keys stay and the
   * error is logged. Returns true when new keys were applied.
   */
  public boolean reloadKeys() {
    JwtKeys next;
    try {
      next = JwtKeys.load(settings);
    } catch (RuntimeException e) {
      LOG.error("JWT: new keys refused, running keys kept: {}", e.getMessage());
      return false;
    }
    Verifier old = verifier;
    if (Arrays.equals(next.jwksDigest(), old.keys().jwksDigest()) && next.jwks().equals(old.keys().jwks())) {
      return false;
    }
    verifier = verifier(next);
    if (cache != null) {
      // Frees memory only: entries of the old generation can no longer be found (see verify).
      cache.invalidateAll();
    }
    LOG.info("JWT: keys reloaded: {} key(s), kids by algorithm {}", next.size(), next);
    for (java.util.function.Consumer<JwtKeys> l : listeners) {
      l.accept(next);
    }
    return true;
  }

  /** Called with the new keys after each applied reload (metrics, tests). */
  public void onReload(java.util.function.Consumer<JwtKeys> listener) {
    listeners.add(listener);
  }

  /** Reloads when the JWKS file's content changed since the keys in use were read. */
  public boolean checkJwksFile() {
    if (settings.jwksFile() == null) {
      return false;
    }
    byte[] digest;
    try {
      digest = KeyMaterial.sha256(JwtKeys.readJwks(settings.jwksFile()));
    } catch (AuthConfigException e) {
      LOG.error("JWT: {}; running keys kept", e.getMessage());
      return false;
    }
    return !Arrays.equals(digest, verifier.keys().jwksDigest()) && reloadKeys();
  }

  /** Starts checking the JWKS file every {@code auth.jwt.jwks-scan-interval} (no-op without a file or at 0s). */
  public synchronized void watch() {
    long ms = settings.jwksScanInterval().toMillis();
    if (settings.jwksFile() == null || ms <= 0 || timer >= 0) {
      return;
    }
    timer = vertx.setPeriodic(ms, id -> vertx.executeBlocking(this::checkJwksFile, false));
  }

  @Override
  public synchronized void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
