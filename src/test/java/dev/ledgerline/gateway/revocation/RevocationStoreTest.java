package dev.ledgerline.gateway.revocation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigResolver;
import dev.ledgerline.gateway.revocation.RevocationStore.ReadsWhenUnavailable;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.PostgresExtension;
import dev.ledgerline.testing.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
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
import org.junit.jupiter.api.extension.RegisterExtension;

/** The revocation store against a real PostgreSQL (the record) and a real Redis (the fast path) that tests break. */
class RevocationStoreTest {
  /**
   * A generous command timeout: a first command on a cold JVM may be slow, and none of these tests is about it. Syncs
   * run only when a test asks, so each step is deterministic.
   */
  private static final RevocationStore.Options OPTIONS = RevocationStore.Options.DEFAULTS
      .withCommandTimeout(Duration.ofSeconds(10)).withRetainAfterExpiry(Duration.ZERO)
      .withSyncInterval(Duration.ofHours(1));

  private static final String MARKER = OPTIONS.keyPrefix() + "@filled";
  @RegisterExtension
  static final PostgresExtension postgres = new PostgresExtension();
  private TestRedis redis;
  private final List<Vertx> vertxes = new ArrayList<>();

  @BeforeEach
  void start() {
    postgres.pool().query("TRUNCATE revoked_tokens").execute().await();
    redis = TestRedis.start();
  }

  @AfterEach
  void stop() {
    vertxes.forEach(v -> v.close().await());
    redis.close();
  }

  /** A store as one node would have it: its own Vert.x, pooled Redis client, and one sync done. */
  private RevocationStore node() throws Exception {
    RevocationStore store = unsynced();
    get(store.sync());
    assertThat(store.redisComplete()).isTrue();
    return store;
  }

  private RevocationStore unsynced() {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    return new RevocationStore(redis.client(vertx), new RevocationRecords(postgres.pool()), OPTIONS, Clock.systemUTC());
  }

  private Redis admin() {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    return redis.client(vertx);
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private int rows() {
    return postgres.pool().query("SELECT count(*) FROM revoked_tokens").execute().await().iterator().next().getInteger(0);
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
    assertThat(rows()).as("recorded in PostgreSQL").isEqualTo(1);
  }

  @Test
  void theEntryExpiresAtTheTokensExpiryAndThePurgeDeletesTheRecord() throws Exception {
    RevocationStore a = node();
    RevocationStore b = node();
    var admin = admin();
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
    assertThat(get(a.purgeExpired())).as("nothing expired yet").isZero();
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
    Poll.until(Duration.ofSeconds(5), "past exp", () -> Instant.now().isAfter(exp));
    assertThat(get(a.purgeExpired())).isEqualTo(1);
    assertThat(rows()).isZero();
  }

  @Test
  void anAlreadyExpiredTokenNeedsNoEntry() throws Exception {
    RevocationStore a = node();
    get(a.revoke("old", Instant.now().minusSeconds(5)));
    assertThat(get(a.isRevoked("old"))).isFalse();
    assertThat(rows()).isZero();
  }

  /**
   * PostgreSQL took a revocation but Redis refused the SET (here: out of memory, which refuses writes that grow the
   * data but still lets DEL through): the marker is dropped, so every other node reads PostgreSQL at once.
   */
  @Test
  void aRevocationRedisRefusedDropsTheMarkerSoOtherNodesReadPostgres() throws Exception {
    RevocationStore a = node();
    RevocationStore b = node();
    var admin = admin();
    get(admin.send(Request.cmd(Command.CONFIG).arg("SET").arg("maxmemory-policy").arg("noeviction")));
    get(admin.send(Request.cmd(Command.CONFIG).arg("SET").arg("maxmemory").arg("1")));
    Throwable refused = get(a.revoke("refused", Instant.now().plusSeconds(300))
        .transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(refused).isInstanceOf(RevocationUnavailableException.class);
    assertThat(rows()).as("recorded in PostgreSQL").isEqualTo(1);
    dev.ledgerline.testing.Poll.until(Duration.ofSeconds(30), "the refill marker is dropped",
        () -> admin.send(Request.cmd(Command.EXISTS).arg(a.key("refused")).arg(MARKER)).await().toInteger() == 0);
    get(admin.send(Request.cmd(Command.CONFIG).arg("SET").arg("maxmemory").arg("0")));
    assertThat(get(b.isRevoked("refused"))).as("from PostgreSQL: Redis is not trusted without its marker").isTrue();
    assertThat(b.redisComplete()).isFalse();
  }

  /** FLUSHALL leaves the marker absent: reads go to PostgreSQL at once, and the next sync refills Redis. */
  @Test
  void afterFlushallTheRevocationIsStillRefusedAndRedisIsRefilled() throws Exception {
    RevocationStore a = node();
    RevocationStore b = node();
    get(a.revoke("flushed", Instant.now().plusSeconds(300)));
    var admin = admin();
    get(admin.send(Request.cmd(Command.FLUSHALL)));
    assertThat(get(admin.send(Request.cmd(Command.EXISTS).arg(a.key("flushed")))).toInteger()).isZero();

    assertThat(get(b.isRevoked("flushed"))).as("from PostgreSQL while Redis is incomplete").isTrue();
    assertThat(b.redisComplete()).isFalse();
    assertThat(get(b.isRevoked("other"))).isFalse();

    get(b.sync());
    assertThat(b.redisComplete()).isTrue();
    assertThat(get(admin.send(Request.cmd(Command.EXISTS).arg(a.key("flushed")))).toInteger())
        .as("refilled").isEqualTo(1);
    RevocationStore c = node();
    assertThat(get(c.isRevoked("flushed"))).as("from the refilled Redis").isTrue();
  }

  /**
   * A marker naming another Redis process is what a restart that kept its data (append-only file) leaves: Redis may
   * have lost its last second of writes, so it is refilled too.
   */
  @Test
  void aMarkerOfAnotherRedisProcessIsRefilled() throws Exception {
    RevocationStore a = node();
    get(a.revoke("lost-in-a-crash", Instant.now().plusSeconds(300)));
    var admin = admin();
    get(admin.send(Request.cmd(Command.DEL).arg(a.key("lost-in-a-crash"))));
    get(admin.send(Request.cmd(Command.SET).arg("ll:revoked:@filled").arg("run-id-of-the-process-before")));
    RevocationStore b = unsynced();
    get(b.sync());
    assertThat(get(admin.send(Request.cmd(Command.EXISTS).arg(a.key("lost-in-a-crash")))).toInteger()).isEqualTo(1);
    assertThat(get(b.isRevoked("lost-in-a-crash"))).isTrue();
  }

  /** A refill in progress elsewhere (its marker, with a lease) is left alone; PostgreSQL answers meanwhile. */
  @Test
  void anotherNodesRefillIsLeftToItUntilItsLeaseRunsOut() throws Exception {
    RevocationStore a = node();
    get(a.revoke("being-refilled", Instant.now().plusSeconds(300)));
    var admin = admin();
    get(admin.send(Request.cmd(Command.DEL).arg(a.key("being-refilled"))));
    get(admin.send(Request.cmd(Command.SET).arg("ll:revoked:@filled").arg("filling:another-node").arg("PX")
        .arg(60_000)));
    RevocationStore b = unsynced();
    get(b.sync());
    assertThat(b.redisComplete()).isFalse();
    assertThat(get(admin.send(Request.cmd(Command.EXISTS).arg(a.key("being-refilled")))).toInteger())
        .as("not refilled by b").isZero();
    assertThat(get(b.isRevoked("being-refilled"))).as("from PostgreSQL").isTrue();
    // The other node died: its lease runs out (here: deleted), and the next sync refills.
    get(admin.send(Request.cmd(Command.DEL).arg("ll:revoked:@filled")));
    get(b.sync());
    assertThat(b.redisComplete()).isTrue();
    assertThat(get(admin.send(Request.cmd(Command.EXISTS).arg(a.key("being-refilled")))).toInteger()).isEqualTo(1);
    assertThat(get(admin.send(Request.cmd(Command.PTTL).arg("ll:revoked:@filled"))).toLong())
        .as("the completed marker has no lease").isEqualTo(-1);
  }

  @Test
  void withRedisDownChecksAreAnsweredByPostgresAndARevocationFailsUntilRedisHasIt() throws Exception {
    RevocationStore a = node();
    get(a.revoke("before", Instant.now().plusSeconds(300)));
    redis.stop();
    RevocationStore b = unsynced();
    assertThat(get(b.isRevoked("before"))).as("from PostgreSQL").isTrue();
    assertThat(get(b.isRevoked("never-revoked"))).isFalse();
    // PostgreSQL takes it, Redis cannot: the caller is told it failed (other nodes may still trust Redis), the
    // revoking node refuses the token at once, and Redis gets it when it is back.
    assertThatThrownBy(() -> get(a.revoke("during", Instant.now().plusSeconds(300))))
        .isInstanceOf(RevocationUnavailableException.class).hasMessageContaining("Redis");
    assertThat(get(a.isRevoked("during"))).isTrue();
    assertThat(rows()).isEqualTo(2);
    assertThatThrownBy(() -> get(a.sync())).isInstanceOf(RevocationUnavailableException.class);
    assertThat(a.redisComplete()).isFalse();

    redis.restart();
    Poll.until(Duration.ofSeconds(30), "a sync reaches Redis again", () -> {
      try {
        get(a.sync());
        return a.redisComplete();
      } catch (Exception e) {
        return false;
      }
    });
    RevocationStore c = node();
    assertThat(get(c.isRevoked("during"))).as("refilled from PostgreSQL").isTrue();
    assertThat(get(c.isRevoked("before"))).isTrue();
  }

  @Test
  void withNeitherStoreReachableTheFailureIsTyped() throws Exception {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    Pool nowhere = PgBuilder.pool().connectingTo(new PgConnectOptions().setHost("127.0.0.1")
        .setPort(FreePorts.next()).setDatabase("x").setUser("x").setPassword("x")).using(vertx).build();
    RevocationStore a = new RevocationStore(redis.client(vertx), new RevocationRecords(nowhere), OPTIONS,
        Clock.systemUTC());
    redis.stop();
    assertThatThrownBy(() -> get(a.isRevoked("never-asked"))).isInstanceOf(RevocationUnavailableException.class);
    assertThatThrownBy(() -> get(a.revoke("x", Instant.now().plusSeconds(300))))
        .isInstanceOf(RevocationUnavailableException.class);
  }

  @Test
  void notRevokedAnswersMayNotBeReusedForASecondOrMore() {
    assertThatThrownBy(() -> OPTIONS.withNotRevokedTtl(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
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
