package dev.ledgerline.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigResolver;
import dev.ledgerline.gateway.auth.RevocationStore.ReadsWhenUnavailable;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RevocationStoreTest {
  /** A generous command timeout: a first command on a cold JVM may be slow, and none of these tests is about it. */
  private static final RevocationStore.Options OPTIONS = new RevocationStore.Options(Duration.ofSeconds(10),
      Duration.ofMillis(500), Duration.ZERO, 1000, "ll:revoked:");

  private TestRedis redis;
  private final List<Vertx> vertxes = new ArrayList<>();

  @BeforeEach
  void start() {
    redis = TestRedis.start();
  }

  @AfterEach
  void stop() {
    vertxes.forEach(v -> v.close().await());
    redis.close();
  }

  /** A store as one node would have it: its own Vert.x and pooled client. */
  private RevocationStore node() {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    return new RevocationStore(redis.client(vertx), OPTIONS, Clock.systemUTC());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  @Test
  void aRevocationIsSeenByAnotherNodeWithinOneSecond() throws Exception {
    RevocationStore a = node();
    RevocationStore b = node();
    Instant exp = Instant.now().plusSeconds(300);
    // Node b has just answered "not revoked" and may reuse that answer for a short while.
    assertThat(get(b.isRevoked("jti-1"))).isFalse();
    get(a.revoke("jti-1", exp));
    long revokedAt = System.nanoTime();
    assertThat(get(a.isRevoked("jti-1"))).as("immediately on the revoking node").isTrue();
    // The bound is by construction: every check made once notRevokedTtl (< 1 s) has passed since the revocation
    // sees it. Waiting for that time is the subject of the test, not a synchronisation.
    assertThat(OPTIONS.notRevokedTtl()).isLessThan(Duration.ofSeconds(1));
    Poll.until(Duration.ofSeconds(5), "notRevokedTtl elapsed since the revocation",
        () -> System.nanoTime() - revokedAt >= OPTIONS.notRevokedTtl().toNanos());
    assertThat(get(b.isRevoked("jti-1"))).as("on another node once the TTL has passed").isTrue();
    // A node that never asked before sees it at once, and other tokens are unaffected.
    RevocationStore c = node();
    assertThat(get(c.isRevoked("jti-1"))).isTrue();
    assertThat(get(c.isRevoked("jti-2"))).isFalse();
  }

  @Test
  void theEntryExpiresAtTheTokensExpiry() throws Exception {
    RevocationStore a = node();
    RevocationStore b = node();
    var admin = redis.client(vertxes.get(0));
    // Connections first: what is checked below while the entry exists must not wait for a cold connection.
    assertThat(get(a.isRevoked("warm-up"))).isFalse();
    assertThat(get(b.isRevoked("warm-up"))).isFalse();
    get(admin.send(Request.cmd(Command.PING)));
    Instant exp = Instant.now().plusSeconds(3);
    get(a.revoke("short-lived", exp));
    String key = a.key("short-lived");
    assertThat(key).matches("ll:revoked:[A-Za-z0-9_-]{43}");
    long pttl = get(admin.send(Request.cmd(Command.PTTL).arg(key))).toLong();
    assertThat(pttl).isBetween(1L, 3000L);
    assertThat(get(b.isRevoked("short-lived"))).isTrue();
    Poll.until(Duration.ofSeconds(30), "entry gone", () -> {
      try {
        return get(admin.send(Request.cmd(Command.EXISTS).arg(key))).toInteger() == 0;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertThat(Instant.now()).isAfterOrEqualTo(exp.minusMillis(50));
    RevocationStore c = node();
    assertThat(get(c.isRevoked("short-lived"))).isFalse();
    // The revoking node's own cache ends at the same moment.
    assertThat(get(a.isRevoked("short-lived"))).isFalse();
  }

  @Test
  void anAlreadyExpiredTokenNeedsNoEntry() throws Exception {
    RevocationStore a = node();
    get(a.revoke("old", Instant.now().minusSeconds(5)));
    assertThat(get(a.isRevoked("old"))).isFalse();
  }

  @Test
  void redisDownIsATypedFailure() throws Exception {
    RevocationStore a = node();
    get(a.revoke("before", Instant.now().plusSeconds(300)));
    redis.stop();
    assertThatThrownBy(() -> get(a.isRevoked("never-asked")))
        .isInstanceOf(RevocationUnavailableException.class);
    assertThatThrownBy(() -> get(a.revoke("x", Instant.now().plusSeconds(300))))
        .isInstanceOf(RevocationUnavailableException.class);
    // A known revocation stays known: revocation is permanent until the token expires.
    assertThat(get(a.isRevoked("before"))).isTrue();
    redis.restart();
    Poll.until(Duration.ofSeconds(30), "store answers again", () -> {
      try {
        return !get(a.isRevoked("never-asked"));
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  void notRevokedAnswersMayNotBeReusedForASecondOrMore() {
    assertThatThrownBy(() -> new RevocationStore.Options(Duration.ofSeconds(1), Duration.ofSeconds(1),
        Duration.ZERO, 10, "p:")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void entriesOutliveExpiryByTheValidatorsLeeway() {
    ConfigResolver resolver = new ConfigResolver();
    assertThat(RevocationStore.Options.from(resolver.resolve(new JsonObject(), Map.of(), Map.of(),
        Map.of("auth.jwt.leeway", "45s"))).retainAfterExpiry()).isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void readPolicyComesFromConfigurationAndDefaultsToDeny() {
    ConfigResolver resolver = new ConfigResolver();
    assertThat(ReadsWhenUnavailable.from(resolver.resolve(new JsonObject(), Map.of(), Map.of(), Map.of())))
        .isEqualTo(ReadsWhenUnavailable.DENY);
    assertThat(ReadsWhenUnavailable.from(resolver.resolve(new JsonObject(), Map.of(), Map.of(),
        Map.of("auth.revocation.reads-when-unavailable", "allow")))).isEqualTo(ReadsWhenUnavailable.ALLOW);
  }
}
