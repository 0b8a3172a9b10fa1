package dev.ledgerline.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class JwksReloadTest {
  private Vertx vertx;
  private final KeyPair a = TestKeys.rsa();
  private final KeyPair b = TestKeys.ec();
  @TempDir
  Path dir;

  @BeforeEach
  void start(Vertx v) {
    vertx = v;
  }

  private JwtAuthenticator authenticator(Path jwks, Duration scan) {
    JwtSettings s = new JwtSettings(List.of(), jwks, scan, null, Set.of("RS256", "ES256", "EdDSA"), null,
        TestKeys.ISSUER, TestKeys.AUDIENCE, Duration.ofSeconds(30), true, false, 1000, dir);
    return JwtAuthenticator.create(vertx, s, Clock.systemUTC());
  }

  private static boolean accepted(JwtAuthenticator auth, String token) {
    try {
      auth.authenticate(token).await();
      return true;
    } catch (AuthenticationException e) {
      return false;
    }
  }

  @Test
  void newKeyIsPickedUpAndRemovedKeyStopsWorkingEvenWhenCached() throws Exception {
    Path jwks = dir.resolve("jwks.json");
    TestKeys.writeJwks(jwks, List.of(a), List.of("key-a"));
    JwtAuthenticator auth = authenticator(jwks, Duration.ZERO);
    String tokenA = JwtSigner.sign("RS256", "key-a", TestKeys.claims(), a.getPrivate());
    String tokenB = JwtSigner.sign("ES256", "key-b", TestKeys.claims(), b.getPrivate());
    assertThat(accepted(auth, tokenA)).isTrue();
    assertThat(accepted(auth, tokenB)).isFalse();
    assertThat(auth.checkJwksFile()).as("unchanged file").isFalse();

    TestKeys.writeJwks(jwks, List.of(a, b), List.of("key-a", "key-b"));
    assertThat(auth.checkJwksFile()).isTrue();
    assertThat(accepted(auth, tokenB)).isTrue();
    assertThat(accepted(auth, tokenA)).isTrue();

    TestKeys.writeJwks(jwks, List.of(b), List.of("key-b"));
    assertThat(auth.checkJwksFile()).isTrue();
    assertThat(accepted(auth, tokenA)).as("cached token of a removed key").isFalse();
    assertThat(accepted(auth, tokenB)).isTrue();
  }

  /**
   * A verification that began under the old key set and finishes after the reload swapped it out is answered (it
   * was valid when it began) but never cached: the next request with the token is verified again, and refused.
   */
  @Test
  void aVerificationInFlightDuringTheReloadDoesNotCacheUnderTheNewKeys() throws Exception {
    Path jwks = dir.resolve("jwks.json");
    KeyPair c = TestKeys.rsa();
    TestKeys.writeJwks(jwks, List.of(a, b), List.of("key-a", "key-b"));
    JwtAuthenticator auth = authenticator(jwks, Duration.ZERO);
    // No kid: under the new keys the token still reaches signature verification (against key-c) instead of being
    // refused for its kid, so the cache is what decides.
    String tokenA = JwtSigner.sign("RS256", null, TestKeys.claims(), a.getPrivate());
    boolean[] reloaded = {false};
    auth.afterVerification = () -> {
      auth.afterVerification = null;
      try {
        TestKeys.writeJwks(jwks, List.of(c, b), List.of("key-c", "key-b"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      reloaded[0] = auth.checkJwksFile();
    };
    long before = auth.verifications();
    assertThat(accepted(auth, tokenA)).as("verified before the swap").isTrue();
    assertThat(reloaded[0]).as("the reload ran between verification and caching").isTrue();
    assertThat(accepted(auth, tokenA)).as("after the swap").isFalse();
    assertThat(auth.verifications() - before).as("the second request was verified again, not served from the cache")
        .isEqualTo(2);
  }

  @Test
  void brokenFileIsRefusedAndRunningKeysStay() throws Exception {
    Path jwks = dir.resolve("jwks.json");
    TestKeys.writeJwks(jwks, List.of(a), List.of("key-a"));
    JwtAuthenticator auth = authenticator(jwks, Duration.ZERO);
    String tokenA = JwtSigner.sign("RS256", "key-a", TestKeys.claims(), a.getPrivate());
    Files.writeString(jwks, "{\"keys\": [ {\"kty\": \"RSA\"");
    assertThat(auth.checkJwksFile()).isFalse();
    Files.writeString(jwks, "{\"keys\": []}");
    assertThat(auth.checkJwksFile()).as("an empty key set is refused too").isFalse();
    Files.delete(jwks);
    assertThat(auth.checkJwksFile()).isFalse();
    assertThat(accepted(auth, tokenA)).isTrue();
  }

  @Test
  void watcherReloadsOnItsOwn() throws Exception {
    Path jwks = dir.resolve("jwks.json");
    TestKeys.writeJwks(jwks, List.of(a), List.of("key-a"));
    JwtAuthenticator auth = authenticator(jwks, Duration.ofMillis(20));
    CompletableFuture<JwtKeys> reloaded = new CompletableFuture<>();
    auth.onReload(reloaded::complete);
    auth.watch();
    TestKeys.writeJwks(jwks, List.of(a, b), List.of("key-a", "key-b"));
    assertThat(reloaded.get(30, TimeUnit.SECONDS).knows("ES256", "key-b")).isTrue();
    auth.close();
  }

  @Test
  void jwksRules() throws Exception {
    Path jwks = dir.resolve("jwks.json");
    Files.writeString(jwks, "{\"keys\":[" + KeyMaterial.publicJwk(a.getPublic()).encode() + "]}");
    assertThatThrownBy(() -> authenticator(jwks, Duration.ZERO)).isInstanceOf(AuthConfigException.class)
        .hasMessageContaining("no kid");
    Files.writeString(jwks, "{\"keys\":[" + KeyMaterial.publicJwk(a.getPublic()).put("kid", "x").put("alg", "ES256")
        .encode() + "]}");
    assertThatThrownBy(() -> authenticator(jwks, Duration.ZERO)).hasMessageContaining("declares alg ES256");
    Files.writeString(jwks, "{\"keys\":[" + KeyMaterial.publicJwk(a.getPublic()).put("kid", "x").put("d", "AAAA")
        .encode() + "]}");
    assertThatThrownBy(() -> authenticator(jwks, Duration.ZERO)).hasMessageContaining("private");
    TestKeys.writeJwks(jwks, List.of(a, b), List.of("same", "same"));
    assertThatThrownBy(() -> authenticator(jwks, Duration.ZERO)).hasMessageContaining("kid same");
  }
}
