package dev.ledgerline.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.testing.MutableClock;
import dev.ledgerline.users.Role;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The JWT rules, each proven with a token that breaks exactly one of them. */
@ExtendWith(VertxExtension.class)
class JwtAuthenticatorTest {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static Vertx vertx;
  private static KeyPair rsa;
  private static KeyPair ec;
  private static KeyPair ed;
  private static KeyPair otherRsa;
  private static String rsaPemText;
  private static JwtAuthenticator auth;
  @TempDir
  static Path dir;

  @BeforeAll
  static void setUp(Vertx v) throws Exception {
    vertx = v;
    rsa = TestKeys.rsa();
    ec = TestKeys.ec();
    ed = TestKeys.ed25519();
    otherRsa = TestKeys.rsa();
    Path pem = TestKeys.writePublicPem(dir, "rsa.pem", rsa);
    rsaPemText = Files.readString(pem);
    Path jwks = dir.resolve("jwks.json");
    TestKeys.writeJwks(jwks, List.of(ec), List.of("ec-1"));
    auth = JwtAuthenticator.create(vertx, TestKeys.settings(List.of(pem), jwks, Set.of("RS256", "ES256"), null, false,
        dir), Clock.systemUTC());
  }

  private static long now() {
    return Instant.now().getEpochSecond();
  }

  private static String rs256(JsonObject claims) {
    return JwtSigner.sign("RS256", null, claims, rsa.getPrivate());
  }

  private static String unsigned(JsonObject header, JsonObject claims, String signature) {
    return B64.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
        + B64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8)) + "." + signature;
  }

  private static String hmacWith(byte[] secret, JsonObject claims) {
    return JwtSigner.sign(new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims,
        new SecretKeySpec(secret, "HmacSHA256"));
  }

  private static Principal accept(JwtAuthenticator a, String token) {
    return a.authenticate(token).await();
  }

  private static String rejectReason(JwtAuthenticator a, String token) {
    Future<Principal> f = a.authenticate(token);
    try {
      f.await();
    } catch (AuthenticationException e) {
      return e.getMessage();
    }
    throw new AssertionError("token was accepted: " + token);
  }

  static Stream<Arguments> rejected() {
    JsonObject c = TestKeys.claims();
    String valid = rs256(c);
    String[] parts = valid.split("\\.");
    return Stream.<Arguments>of(
        Arguments.of("alg none, empty signature", unsigned(new JsonObject().put("alg", "none"), c, ""),
            "compact form"),
        Arguments.of("alg none with a signature part", unsigned(new JsonObject().put("alg", "none"), c, "AAAA"),
            "alg none"),
        Arguments.of("alg NONE", unsigned(new JsonObject().put("alg", "NONE"), c, "AAAA"), "alg none"),
        Arguments.of("HS256 signed with the RS256 public key (PEM) as secret",
            hmacWith(rsaPemText.getBytes(StandardCharsets.US_ASCII), c), "HS256 is not allowed"),
        Arguments.of("HS256 signed with the RS256 public key (DER) as secret",
            hmacWith(rsa.getPublic().getEncoded(), c), "HS256 is not allowed"),
        Arguments.of("disabled algorithm EdDSA", JwtSigner.sign("EdDSA", null, c, ed.getPrivate()),
            "EdDSA is not allowed"),
        Arguments.of("RS384 not allowed", unsigned(new JsonObject().put("alg", "RS384"), c, parts[2]),
            "RS384 is not allowed"),
        Arguments.of("missing exp", rs256(TestKeys.claims().put("exp", (Object) null)), "no exp"),
        Arguments.of("exp not a number", rs256(TestKeys.claims().put("exp", "tomorrow")), "exp"),
        Arguments.of("expired", rs256(TestKeys.claims().put("iat", now() - 7200).put("exp", now() - 3600)),
            "expired"),
        Arguments.of("expired just beyond leeway", rs256(TestKeys.claims().put("exp", now() - 40)), "expired"),
        Arguments.of("wrong aud", rs256(TestKeys.claims().put("aud", "other-api")), "aud"),
        Arguments.of("aud list without ours", rs256(TestKeys.claims().put("aud", new JsonArray().add("a").add("b"))),
            "aud"),
        Arguments.of("missing aud", rs256(TestKeys.claims().put("aud", (Object) null)), "aud"),
        Arguments.of("wrong iss", rs256(TestKeys.claims().put("iss", "evil")), "iss"),
        Arguments.of("missing iss", rs256(TestKeys.claims().put("iss", (Object) null)), "iss"),
        Arguments.of("nbf in the future", rs256(TestKeys.claims().put("nbf", now() + 3600)), "not valid before"),
        Arguments.of("iat in the future", rs256(TestKeys.claims().put("iat", now() + 3600)), "issued in the future"),
        Arguments.of("unknown kid", JwtSigner.sign("RS256", "nobody", c, rsa.getPrivate()), "unknown kid"),
        Arguments.of("kid of another algorithm", JwtSigner.sign("RS256", "ec-1", c, rsa.getPrivate()), "unknown kid"),
        Arguments.of("tampered payload", parts[0] + "." + B64.encodeToString(TestKeys.claims()
            .put("roles", new JsonArray().add("admin")).encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2],
            "rejected by the JWT verifier"),
        Arguments.of("tampered signature", parts[0] + "." + parts[1] + "." + rs256(TestKeys.claims()).split("\\.")[2],
            "rejected by the JWT verifier"),
        Arguments.of("signed by another RSA key", JwtSigner.sign("RS256", null, c, otherRsa.getPrivate()),
            "rejected by the JWT verifier"),
        Arguments.of("roles missing", rs256(TestKeys.claims().put("roles", (Object) null)), "roles"),
        Arguments.of("roles empty", rs256(TestKeys.claims().put("roles", new JsonArray())), "roles"),
        Arguments.of("roles as a string", rs256(TestKeys.claims().put("roles", "admin")), "roles"),
        Arguments.of("unknown role", rs256(TestKeys.claims().put("roles", new JsonArray().add("user").add("root"))),
            "unknown role"),
        Arguments.of("missing sub", rs256(TestKeys.claims().put("sub", (Object) null)), "no sub"),
        Arguments.of("empty sub", rs256(TestKeys.claims().put("sub", "")), "sub"),
        Arguments.of("missing jti", rs256(TestKeys.claims().put("jti", (Object) null)), "no jti"),
        Arguments.of("jku header", JwtSigner.sign(new JsonObject().put("alg", "RS256").put("jku",
            "http://127.0.0.1/keys"), c, rsa.getPrivate()), "jku"),
        Arguments.of("embedded jwk header", JwtSigner.sign(new JsonObject().put("alg", "RS256").put("jwk",
            new JsonObject().put("kty", "RSA")), c, rsa.getPrivate()), "jwk"),
        Arguments.of("crit header", JwtSigner.sign(new JsonObject().put("alg", "RS256").put("crit",
            new JsonArray().add("exp")), c, rsa.getPrivate()), "crit"),
        Arguments.of("foreign typ", JwtSigner.sign(new JsonObject().put("alg", "RS256").put("typ", "secevent+jwt"),
            c, rsa.getPrivate()), "typ"),
        Arguments.of("duplicate claim", signedRaw("{\"alg\":\"RS256\"}", "{\"sub\":\"alice\",\"sub\":\"admin\"}"),
            "duplicate"),
        Arguments.of("not JSON", signedRaw("{\"alg\":\"RS256\"}", "hello"), "base64url JSON"),
        Arguments.of("garbage", "not-a-token", "compact form"),
        Arguments.of("empty", "", "no token"),
        Arguments.of("too long", "a".repeat(9000), "longer than"));
  }

  private static String signedRaw(String header, String payload) {
    String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
        + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
    return input + "." + B64.encodeToString(JwtSigner.signature("RS256", input.getBytes(StandardCharsets.US_ASCII),
        rsa.getPrivate()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void tokenIsRejected(String name, String token, String reason) {
    assertThat(rejectReason(auth, token)).contains(reason);
  }

  @Test
  void validRs256TokenIsAccepted() {
    JsonObject c = TestKeys.claims().put("roles", new JsonArray().add("user").add("operator"));
    Principal p = accept(auth, rs256(c));
    assertThat(p.subject()).isEqualTo("alice");
    assertThat(p.roles()).containsExactlyInAnyOrder(Role.USER, Role.OPERATOR);
    assertThat(p.jti()).isEqualTo(c.getString("jti"));
    assertThat(p.expiresAt()).isEqualTo(Instant.ofEpochSecond(c.getLong("exp")));
    // With the RFC 7638 thumbprint as kid, as the token command writes it.
    assertThat(accept(auth, JwtSigner.sign("RS256", KeyMaterial.thumbprint(rsa.getPublic()), TestKeys.claims(),
        rsa.getPrivate())).subject()).isEqualTo("alice");
  }

  @Test
  void validEs256TokenIsAcceptedWithAndWithoutKid() {
    assertThat(accept(auth, JwtSigner.sign("ES256", "ec-1", TestKeys.claims(), ec.getPrivate())).roles())
        .containsExactly(Role.USER);
    assertThat(accept(auth, JwtSigner.sign("ES256", null, TestKeys.claims(), ec.getPrivate())).subject())
        .isEqualTo("alice");
  }

  @Test
  void leewayAppliesToExpNbfAndIat() {
    accept(auth, rs256(TestKeys.claims().put("exp", now() - 10)));
    accept(auth, rs256(TestKeys.claims().put("nbf", now() + 10).put("iat", now() + 10)));
    accept(auth, rs256(TestKeys.claims().put("aud", new JsonArray().add("x").add(TestKeys.AUDIENCE))));
  }

  @Test
  void eddsaAndHs256WhenEnabled() throws Exception {
    byte[] secret = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    JwtAuthenticator a = JwtAuthenticator.create(vertx, TestKeys.settings(List.of(TestKeys.writePublicPem(dir,
        "ed.pem", ed), TestKeys.writePublicPem(dir, "rsa2.pem", rsa)), null, Set.of("EdDSA", "HS256", "RS256"), secret,
        false, dir), Clock.systemUTC());
    assertThat(accept(a, JwtSigner.sign("EdDSA", null, TestKeys.claims(), ed.getPrivate())).subject())
        .isEqualTo("alice");
    assertThat(accept(a, hmacWith(secret, TestKeys.claims())).subject()).isEqualTo("alice");
    // The classic confusion: HS256 keyed with the RSA public key the attacker knows.
    assertThat(rejectReason(a, hmacWith(rsaPemText.getBytes(StandardCharsets.US_ASCII), TestKeys.claims())))
        .contains("rejected by the JWT verifier");
    assertThat(rejectReason(a, hmacWith(rsa.getPublic().getEncoded(), TestKeys.claims())))
        .contains("rejected by the JWT verifier");
  }

  @Test
  void verifiedTokensAreCachedUntilTheyExpire() {
    String token = rs256(TestKeys.claims());
    long before = auth.verifications();
    Principal first = accept(auth, token);
    for (int i = 0; i < 100; i++) {
      assertThat(accept(auth, token)).isSameAs(first);
    }
    assertThat(auth.verifications() - before).isEqualTo(1);
    // Failures are not cached: a badly signed token is checked (and refused) every time.
    String bad = JwtSigner.sign("RS256", null, TestKeys.claims(), otherRsa.getPrivate());
    rejectReason(auth, bad);
    rejectReason(auth, bad);
    assertThat(auth.verifications() - before).isEqualTo(3);
    // Claims are judged only once the signature holds, so a signed token with a bad claim costs one verification.
    rejectReason(auth, rs256(TestKeys.claims().put("iss", "evil")));
    assertThat(auth.verifications() - before).isEqualTo(4);
  }

  /** Tokens refused by the form, header or key checks never reach signature verification. */
  static Stream<Arguments> refusedBeforeAnySignatureWork() {
    JsonObject c = TestKeys.claims();
    String[] parts = rs256(c).split("\\.");
    return Stream.of(
        Arguments.of("oversized", "a".repeat(JwtAuthenticator.MAX_TOKEN_LENGTH + 1), "longer than"),
        Arguments.of("oversized but well formed", parts[0] + "." + B64.encodeToString(c.copy().put("pad",
            "x".repeat(9000)).encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2], "longer than"),
        Arguments.of("two segments", parts[0] + "." + parts[1], "compact form"),
        Arguments.of("four segments", String.join(".", parts) + ".AAAA", "compact form"),
        Arguments.of("header not base64url", "e" + parts[0].substring(1, 5) + "." + parts[1] + "." + parts[2],
            "header is not valid"),
        Arguments.of("header not JSON", B64.encodeToString("alg: RS256".getBytes(StandardCharsets.UTF_8)) + "."
            + parts[1] + "." + parts[2], "header is not valid"),
        Arguments.of("header a JSON array", B64.encodeToString("[1]".getBytes(StandardCharsets.UTF_8)) + "."
            + parts[1] + "." + parts[2], "header is not a JSON object"),
        Arguments.of("unknown kid", JwtSigner.sign("RS256", "nobody", c, rsa.getPrivate()), "unknown kid"),
        Arguments.of("algorithm not allowed", unsigned(new JsonObject().put("alg", "RS384"), c, parts[2]),
            "RS384 is not allowed"),
        Arguments.of("allowed algorithm without a key", unsigned(new JsonObject().put("alg", "EdDSA"), c, parts[2]),
            "is not allowed"),
        Arguments.of("alg none", unsigned(new JsonObject().put("alg", "none"), c, parts[2]), "alg none"),
        Arguments.of("claims not base64url", parts[0] + ".A." + parts[2], "claims is not valid base64url JSON"),
        Arguments.of("signature not base64url", parts[0] + "." + parts[1] + ".A", "signature is not valid"),
        Arguments.of("RS256 signature too short", parts[0] + "." + parts[1] + "." + B64.encodeToString(new byte[64]),
            "signature cannot be 64 bytes"),
        Arguments.of("ES256 signature of RSA length", unsigned(new JsonObject().put("alg", "ES256"), c, parts[2]),
            "signature cannot be 256 bytes"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedBeforeAnySignatureWork")
  void cheapChecksComeBeforeAnySignatureVerification(String name, String token, String reason) {
    long before = auth.verifications();
    assertThat(rejectReason(auth, token)).contains(reason);
    assertThat(auth.verifications()).as("signature verifications").isEqualTo(before);
  }

  /**
   * Hostile claim values. Each is refused with a 401 reason (never an unchecked exception) twice: in a token signed
   * by a trusted key, which reaches the claim rules, and in a forged token, which is refused by its signature before
   * any claim is read or converted.
   */
  static Stream<Arguments> hostileClaims() {
    return Stream.of(
        // claim, raw JSON value, reason when validly signed
        Arguments.of("exp", "99999999999999999", "exp is out of range"),
        Arguments.of("exp", "9223372036854775807", "exp is out of range"),
        Arguments.of("exp", "123456789012345678901234567890", "exp is out of range"),
        Arguments.of("exp", "-1", "exp is out of range"),
        Arguments.of("exp", "-1.5", "exp is out of range"),
        Arguments.of("exp", "1.5e300", "exp is out of range"),
        Arguments.of("exp", "1e400", "exp"),
        Arguments.of("exp", "\"2030-01-01\"", "exp is not a NumericDate"),
        Arguments.of("exp", "true", "exp is not a NumericDate"),
        Arguments.of("exp", "[1]", "exp is not a NumericDate"),
        Arguments.of("exp", "{}", "exp is not a NumericDate"),
        Arguments.of("exp", "1" + "0".repeat(40), "claims is not valid"),
        Arguments.of("nbf", "99999999999999999", "nbf is out of range"),
        Arguments.of("nbf", "-99999999999999999", "nbf is out of range"),
        Arguments.of("nbf", "1e308", "nbf is out of range"),
        Arguments.of("nbf", "\"now\"", "nbf is not a NumericDate"),
        Arguments.of("iat", "99999999999999999", "iat is out of range"),
        Arguments.of("iat", "-5", "iat is out of range"),
        Arguments.of("iat", "1e20", "iat is out of range"),
        Arguments.of("sub", "\"ali\\u0000ce\"", "sub contains a control character (U+0000)"),
        Arguments.of("sub", "\"alice\\n\"", "sub contains a control character (U+000A)"),
        Arguments.of("sub", "\"a\\u007fb\"", "sub contains a control character (U+007F)"),
        Arguments.of("sub", "\"a\\u0085b\"", "sub contains a control character (U+0085)"),
        Arguments.of("sub", "\"a\\ud800b\"", "sub contains a lone surrogate"),
        Arguments.of("sub", "\"" + "s".repeat(257) + "\"", "sub is not a string of 1 to 256"),
        Arguments.of("sub", "42", "sub is not a string"),
        Arguments.of("sub", "[\"alice\"]", "sub is not a string"),
        Arguments.of("jti", "\"id\\u0000\"", "jti contains a control character"),
        Arguments.of("jti", "\"" + "j".repeat(300) + "\"", "jti is not a string of 1 to 256"));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @MethodSource("hostileClaims")
  void hostileClaimIsA401BeforeAndAfterTheSignature(String claim, String raw, String reasonWhenSigned) {
    String payload = withRawClaim(TestKeys.claims(), claim, raw);
    assertThat(rejectReason(auth, signedRaw("{\"alg\":\"RS256\"}", payload))).as("signed")
        .contains(reasonWhenSigned);
    String forged = B64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + B64.encodeToString(new byte[256]);
    String reason = rejectReason(auth, forged);
    if (!reason.startsWith("claims is not valid")) {
      assertThat(reason).as("forged").contains("rejected by the JWT verifier");
    }
    assertThat(rejectReason(auth, unsigned(new JsonObject().put("alg", "none"), new JsonObject(payload), "")))
        .as("unsigned").contains("compact form");
  }

  @Test
  void fractionalDatesInRangeAreAcceptedAndRoundedTowardsRefusal() {
    long now = now();
    String token = signedRaw("{\"alg\":\"RS256\"}", withRawClaim(withRawClaim(TestKeys.claims(), "exp",
        (now + 600) + ".75"), "iat", (now - 5) + ".25"));
    assertThat(accept(auth, token).expiresAt()).isEqualTo(Instant.ofEpochSecond(now + 600));
    assertThat(accept(auth, rs256(TestKeys.claims().put("exp", JwtAuthenticator.MAX_NUMERIC_DATE))).expiresAt())
        .isEqualTo(Instant.parse("9999-12-31T23:59:59Z"));
  }

  /** The claims as JSON with one member replaced by a raw JSON value. */
  private static String withRawClaim(JsonObject claims, String name, String raw) {
    JsonObject rest = claims.copy();
    rest.remove(name);
    return "{\"" + name + "\":" + raw + "," + rest.encode().substring(1);
  }

  private static String withRawClaim(String claimsJson, String name, String raw) {
    return withRawClaim(new JsonObject(claimsJson), name, raw);
  }

  @Test
  void cachedTokenIsRefusedOnceExpiredByTheClock() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    JwtAuthenticator a = JwtAuthenticator.create(vertx, TestKeys.settings(List.of(TestKeys.writePublicPem(dir,
        "rsa3.pem", rsa)), null, Set.of("RS256"), null, false, dir), clock);
    // exp from the test clock itself: from the system clock it could fall in the next second and so outlive the jump.
    String token = rs256(TestKeys.claims().put("exp", clock.instant().getEpochSecond() + 60));
    accept(a, token);
    clock.advance(java.time.Duration.ofSeconds(60 + 31));
    assertThat(rejectReason(a, token)).contains("expired");
  }

  @Test
  void noKeysRefusesToStart(@TempDir Path data) {
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx, TestKeys.settings(List.of(), null,
        Set.of("RS256", "ES256", "EdDSA"), null, false, data), Clock.systemUTC()))
        .isInstanceOf(NoVerificationKeysException.class)
        .hasMessageContaining("auth.jwt.public-keys");
    assertThat(data.resolve("keys")).doesNotExist();
  }

  /** Why the rule above exists: vert.x-auth-jwt without keys accepts an unsigned token. */
  @Test
  void vertxWithoutKeysWouldAcceptAlgNone() {
    JWTAuth bare = JWTAuth.create(vertx, new JWTAuthOptions());
    String none = B64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + B64.encodeToString("{\"sub\":\"mallory\",\"roles\":[\"admin\"]}".getBytes(StandardCharsets.UTF_8));
    assertThat(bare.authenticate(new TokenCredentials(none)).await().principal().getString("sub"))
        .isEqualTo("mallory");
    assertThat(rejectReason(auth, none)).contains("compact form");
  }

  static Stream<Arguments> badSettings() {
    return Stream.of(
        Arguments.of("short HS256 secret", (Function<Path, JwtSettings>) d -> TestKeys.settings(List.of(), null,
            Set.of("HS256"), "short-secret".getBytes(StandardCharsets.UTF_8), false, d), "auth.jwt.hs256-secret"),
        Arguments.of("HS256 without secret", (Function<Path, JwtSettings>) d -> TestKeys.settings(List.of(), null,
            Set.of("HS256", "RS256"), null, false, d), "auth.jwt.hs256-secret"),
        Arguments.of("secret without HS256", (Function<Path, JwtSettings>) d -> TestKeys.settings(List.of(), null,
            Set.of("RS256"), new byte[32], false, d), "auth.jwt.algorithms"),
        Arguments.of("missing PEM file", (Function<Path, JwtSettings>) d -> TestKeys.settings(
            List.of(d.resolve("absent.pem")), null, Set.of("RS256"), null, false, d), "auth.jwt.public-keys"),
        Arguments.of("RS256 key with RS256 disabled", (Function<Path, JwtSettings>) d -> TestKeys.settings(
            List.of(write(d, "r.pem", rsa)), null, Set.of("ES256"), null, false, d), "auth.jwt.public-keys"),
        Arguments.of("1024-bit RSA key", (Function<Path, JwtSettings>) d -> {
          try {
            var g = java.security.KeyPairGenerator.getInstance("RSA");
            g.initialize(1024);
            return TestKeys.settings(List.of(write(d, "weak.pem", g.generateKeyPair())), null, Set.of("RS256"), null,
                false, d);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }, "auth.jwt.public-keys"));
  }

  private static Path write(Path d, String name, KeyPair pair) {
    try {
      return TestKeys.writePublicPem(d, name, pair);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSettings")
  void unusableSettingsAreRefusedNamingTheKey(String name, Function<Path, JwtSettings> settings, String key,
      @TempDir Path d) {
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx, settings.apply(d), Clock.systemUTC()))
        .isInstanceOf(AuthConfigException.class)
        .satisfies(e -> assertThat(((AuthConfigException) e).key()).isEqualTo(key));
  }
}
