package dev.ledgerline.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.LedgerlineConfig.RateLimit;
import dev.ledgerline.testing.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
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
import org.junit.jupiter.api.extension.ExtendWith;

/** Checks of one bucket made together on an event loop share script calls and keep one-by-one semantics. */
@ExtendWith(VertxExtension.class)
class RateLimiterCoalescingTest {
  private static final String OP = "transfers.create";
  private static final RateLimiter.Options OPTIONS = new RateLimiter.Options(Duration.ofSeconds(5),
      Duration.ofMillis(50), "ll:rl:", 1000);

  private TestRedis redis;
  private Vertx vertx;
  private RateLimiter limiter;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void start(Vertx v) {
    redis = TestRedis.start();
    vertx = v;
    registry = new SimpleMeterRegistry();
    // 20 tokens, and a refill so slow that none arrives during the test.
    limiter = new RateLimiter(vertx, redis.client(vertx), Map.of("default", new RateLimit(1000, 1000),
        OP, new RateLimit(20, 0.001)), () -> 1, registry, OPTIONS);
    limiter.start().await();
  }

  @AfterEach
  void stop() {
    limiter.close();
    redis.close();
  }

  private long evalshaCalls() throws Exception {
    String info = redis.client(vertx).send(Request.cmd(Command.INFO).arg("commandstats")).await().toString();
    Matcher m = Pattern.compile("cmdstat_evalsha:calls=(\\d+)").matcher(info);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** Issues {@code n} checks of one subject in a single event-loop turn and collects them in issue order. */
  private List<Decision> burst(int n) throws Exception {
    Promise<List<Decision>> all = Promise.promise();
    vertx.runOnContext(v -> {
      List<Future<Decision>> checks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        checks.add(limiter.check("sub:alice", OP));
      }
      Future.all(checks).map(cf -> checks.stream().map(Future::result).toList()).onComplete(all);
    });
    return all.future().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aBurstIsServedInArrivalOrderWithFewerScriptCallsThanChecks() throws Exception {
    long before = evalshaCalls();
    List<Decision> decisions = burst(50);
    long calls = evalshaCalls() - before;

    for (int i = 0; i < 20; i++) {
      Decision d = decisions.get(i);
      assertThat(d.allowed()).as("check %d", i).isTrue();
      assertThat(d.remaining()).as("check %d", i).isEqualTo(19 - i);
    }
    for (int i = 20; i < 50; i++) {
      Decision d = decisions.get(i);
      assertThat(d.allowed()).as("check %d", i).isFalse();
      assertThat(d.remaining()).isZero();
      assertThat(d.retryAfterSeconds()).isPositive();
    }
    // The first check goes alone; the 49 made while it was in flight follow as one call.
    assertThat(calls).isEqualTo(2);
    assertThat(registry.get("ledgerline.ratelimit.decisions").tag("outcome", "allowed").tag("backend", "redis")
        .counter().count()).isEqualTo(20.0);
    assertThat(registry.get("ledgerline.ratelimit.decisions").tag("outcome", "denied").tag("backend", "redis")
        .counter().count()).isEqualTo(30.0);
  }

  @Test
  void anEmptiedBucketStaysEmptyForLaterBurstsAndOtherSubjectsAreSeparate() throws Exception {
    assertThat(burst(20)).allMatch(Decision::allowed);
    assertThat(burst(5)).noneMatch(Decision::allowed);
    assertThat(limiter.check("sub:bob", OP).await(10, TimeUnit.SECONDS).allowed()).isTrue();
  }

  @Test
  void redisUnreachableMidBurstFallsBackToLocalBucketsForEveryWaitingCheck() throws Exception {
    Redis client = redis.client(vertx);
    client.send(Request.cmd(Command.PING)).await();
    redis.stop();
    List<Decision> decisions = burst(30);
    // Local share of a 20-token bucket on a one-member cluster: 20 pass, 10 are denied; none is lost or failed.
    assertThat(decisions).hasSize(30);
    assertThat(decisions.stream().filter(Decision::allowed).count()).isEqualTo(20);
    assertThat(limiter.degraded()).isTrue();
  }
}
