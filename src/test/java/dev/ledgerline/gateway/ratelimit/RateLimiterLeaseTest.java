package dev.ledgerline.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.LedgerlineConfig.RateLimit;
import dev.ledgerline.testing.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leases: an event loop takes a slice of a large bucket from Redis and spends it locally, refilling before it runs
 * out. The cluster never admits more than the bucket grants; it may deny early by at most the leases held elsewhere.
 */
class RateLimiterLeaseTest {
  private static final String OP = "transfers.create";
  /** A lease of 10% of a bucket, at most 50 tokens, spendable for 10 s. */
  private static final RateLimiter.Options LEASED = new RateLimiter.Options(Duration.ofSeconds(5),
      Duration.ofMillis(50), "ll:rl:", 1000, 0.1, 50, Duration.ofSeconds(10));

  private TestRedis redis;
  private final List<Vertx> vertxes = new ArrayList<>();
  private final List<RateLimiter> limiters = new ArrayList<>();
  private SimpleMeterRegistry registry;

  @BeforeEach
  void startRedis() {
    redis = TestRedis.start();
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void stopAll() {
    limiters.forEach(RateLimiter::close);
    vertxes.forEach(v -> v.close().await());
    redis.close();
  }

  /** One node: its limiter and the event loop its checks run on. */
  private record NodeLoop(RateLimiter limiter, Context loop) {
    Decision check(String subject) {
      Promise<Decision> p = Promise.promise();
      loop.runOnContext(v -> limiter.check(subject, OP).onComplete(p));
      return p.future().timeout(10, TimeUnit.SECONDS).await();
    }
  }

  private NodeLoop node(long capacity, int members) {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    RateLimiter l = new RateLimiter(vertx, redis.client(vertx), Map.of("default", new RateLimit(1000, 1000), OP,
        new RateLimit(capacity, 0.001)), () -> members, registry, LEASED);
    limiters.add(l);
    l.start().await();
    return new NodeLoop(l, vertx.getOrCreateContext());
  }

  private long evalshaCalls() {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    String info = redis.client(vertx).send(Request.cmd(Command.INFO).arg("commandstats")).await().toString();
    Matcher m = Pattern.compile("cmdstat_evalsha:calls=(\\d+)").matcher(info);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  @Test
  void theLeaseSizeIsAShareOfTheBucketAndSmallBucketsAreNotLeased() {
    RateLimiter.Options d = RateLimiter.Options.DEFAULTS;
    // The production defaults (100 burst) and the stricter buckets stay exact: one script call per check.
    assertThat(d.leaseSize(100)).isZero();
    assertThat(d.leaseSize(20)).isZero();
    assertThat(d.leaseSize(1000)).isEqualTo(10);
    assertThat(d.leaseSize(100_000)).isEqualTo(256);
    assertThat(new RateLimiter.Options(Duration.ofSeconds(1), Duration.ofSeconds(1), "p", 1).leaseSize(1_000_000))
        .as("the four-argument options lease nothing").isZero();
  }

  @Test
  void checksOneAtATimeAreServedFromTheLeaseWithFewScriptCalls() {
    NodeLoop a = node(500, 1); // lease of 50
    long before = evalshaCalls();
    for (int i = 0; i < 200; i++) {
      assertThat(a.check("sub:alice").allowed()).isTrue();
    }
    long calls = evalshaCalls() - before;
    // Without a lease: 200 calls (each check waits for the one before). With one: a call per half lease, or so.
    assertThat(calls).isLessThanOrEqualTo(12);
    assertThat(registry.get("ledgerline.ratelimit.decisions").tag("backend", "lease").counter().count())
        .isGreaterThanOrEqualTo(180);
  }

  @Test
  void theClusterNeverAdmitsMoreThanTheBucketAndDeniesEarlyByAtMostTheOtherLeases() {
    long capacity = 300; // lease of 30 per event loop
    int lease = LEASED.leaseSize(capacity);
    NodeLoop a = node(capacity, 2);
    NodeLoop b = node(capacity, 2);
    int allowed = 0;
    int deniedInARow = 0;
    // Alternating nodes until both are denied: every lease is then spent or stranded on the other node.
    for (int i = 0; i < 2 * capacity && deniedInARow < 4; i++) {
      if ((i % 2 == 0 ? a : b).check("sub:shared").allowed()) {
        allowed++;
        deniedInARow = 0;
      } else {
        deniedInARow++;
      }
    }
    assertThat(allowed).isLessThanOrEqualTo((int) capacity);
    assertThat(allowed).isGreaterThanOrEqualTo((int) capacity - 2 * lease);
    // A node whose lease is spent asks Redis again and is denied like any other.
    assertThat(a.check("sub:shared").allowed()).isFalse();
    assertThat(b.check("sub:shared").allowed()).isFalse();
  }

  @Test
  void oneNodeAloneGetsTheWholeBucketExactly() {
    NodeLoop a = node(300, 1);
    int allowed = 0;
    for (int i = 0; i < 400; i++) {
      allowed += a.check("sub:solo").allowed() ? 1 : 0;
    }
    assertThat(allowed).isEqualTo(300);
  }

  @Test
  void redisDownStillFallsBackToLocalBuckets() {
    NodeLoop a = node(300, 3);
    assertThat(a.check("sub:before").allowed()).isTrue();
    redis.stop();
    // A fresh subject has no lease: its checks reach the dead server, and the limiter switches to local buckets
    // of a third of the capacity each.
    int allowed = 0;
    for (int i = 0; i < 150; i++) {
      allowed += a.check("sub:during").allowed() ? 1 : 0;
    }
    assertThat(a.limiter().degraded()).isTrue();
    assertThat(allowed).isEqualTo(100);
    redis.restart();
  }
}
