package dev.ledgerline.gateway.ratelimit;

import dev.ledgerline.gateway.routes.SecurityHeaders;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestRedis;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import static dev.ledgerline.testing.Health.check;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limits over HTTPS against one node whose Redis is started (and stopped) by the test: a burst of exactly
 * {@code capacity}, the 429 answer, refill, and the fallback to local buckets while Redis is down.
 */
class RateLimitHttpTest {
  private static final int CAPACITY = 4;
  /**
   * One token per 2 s: a burst of CAPACITY + 1 requests is denied at its end only if it takes less than that, so the
   * refill is kept slow enough for a loaded machine.
   */
  private static final String REFILL_PER_SECOND = "0.5";
  private static final TestRedis redis = TestRedis.start();
  private static final SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
  // Registered before the node, so that it runs after the node has stopped.
  @RegisterExtension
  @Order(1)
  static final AfterAllCallback closeRedisAndCertificate = context -> {
    redis.close();
    cert.delete();
  };
  @RegisterExtension
  @Order(2)
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .set("redis.mode", "external").set("redis.url", redis.uri())
      .set("auth.revocation.reads-when-unavailable", "allow")
      .rateLimits("{\"default\":{\"capacity\":100000,\"refill-per-second\":100000},"
          + "\"accounts.read\":{\"capacity\":" + CAPACITY + ",\"refill-per-second\":" + REFILL_PER_SECOND + "}}")
      .set("gateway.tls.enabled", "true").set("gateway.tls.cert", cert.certificatePath())
      .set("gateway.tls.key", cert.privateKeyPath()).build();
  private static WebClient web;

  @BeforeAll
  static void start() {
    web = WebClient.create(node.client(), new WebClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false));
  }

  private static HttpResponse<Buffer> get(String path, String token) {
    return web.get(node.gatewayPort(), "127.0.0.1", path).putHeader("Authorization", "Bearer " + token).send().await();
  }

  private static String account(String token) {
    HttpResponse<Buffer> r = web.post(node.gatewayPort(), "127.0.0.1", "/v1/accounts")
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"ledger\":1,\"code\":1}")).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("id");
  }

  /** Exactly CAPACITY requests pass, the next is a complete 429. */
  private static void burst(String token, String account, String backend) {
    for (int i = 0; i < CAPACITY; i++) {
      HttpResponse<Buffer> r = get("/v1/accounts/" + account, token);
      assertThat(r.statusCode()).as("request %d (%s)", i + 1, backend).isEqualTo(200);
      assertThat(r.getHeader("RateLimit")).isEqualTo("\"accounts.read\";r=" + (CAPACITY - 1 - i) + ";t="
          + r.getHeader("RateLimit").replaceAll(".*;t=", ""));
    }
    HttpResponse<Buffer> denied = get("/v1/accounts/" + account, token);
    assertThat(denied.statusCode()).as("request %d (%s)", CAPACITY + 1, backend).isEqualTo(429);
    assertThat(denied.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(denied.bodyAsJsonObject().getString("type"))
        .isEqualTo("https://iana.org/assignments/http-problem-types#quota-exceeded");
    // The next token within 2 s, rounded up to whole seconds, plus up to 1 s of jitter.
    assertThat(Integer.parseInt(denied.getHeader("Retry-After"))).isBetween(1, 3);
    assertThat(denied.getHeader("RateLimit-Policy")).isEqualTo("\"accounts.read\";q=" + CAPACITY + ";w=8");
    assertThat(denied.getHeader("RateLimit")).startsWith("\"accounts.read\";r=0;t=");
  }

  private static JsonObject rateLimitCheck() {
    var health = node.ready();
    assertThat(health.getKey()).as(health.getValue().encode()).isEqualTo(200);
    return check(health.getValue(), "ratelimit");
  }

  @Test
  void aBurstOfCapacityPassesTheNextGets429AndRefillRestores() throws Exception {
    String t = node.tokens().user("burst");
    String acct = account(t);
    burst(t, acct, "redis");
    Poll.until(Duration.ofSeconds(30), "a token refilled", () -> get("/v1/accounts/" + acct, t).statusCode() == 200);
  }

  @Test
  void tlsResponsesCarryHstsAndNosniff() {
    HttpResponse<Buffer> r = web.get(node.gatewayPort(), "127.0.0.1", "/openapi.json").send().await();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Strict-Transport-Security")).isEqualTo(SecurityHeaders.HSTS);
    assertThat(r.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
  }

  @Test
  void withRedisStoppedLocalBucketsApplyHealthShowsDegradedAndRedisComesBack() throws Exception {
    String before = node.tokens().user("before-outage");
    String acct = account(before);
    assertThat(rateLimitCheck().getString("status")).isEqualTo("UP");
    assertThat(rateLimitCheck().getJsonObject("data").getBoolean("degraded")).isFalse();

    redis.stop();
    try {
      // The first request that cannot reach Redis switches the node to local buckets.
      get("/v1/accounts/" + acct, before);
      Poll.until(Duration.ofSeconds(30), "degraded in /health/ready",
          () -> rateLimitCheck().getJsonObject("data").getBoolean("degraded"));
      assertThat(rateLimitCheck().getString("status")).isEqualTo("UP");
      var health = node.ready();
      assertThat(health.getValue().getString("status")).isEqualTo("UP");
      assertThat(check(health.getValue(), "redis").getJsonObject("data").getBoolean("degraded")).isTrue();
      String scrape = web.get(node.managementPort(), "127.0.0.1", "/metrics").ssl(false).send().await().bodyAsString();
      assertThat(scrape).contains("ledgerline_ratelimit_degraded 1.0");

      String during = node.tokens().issue("during-outage", Role.OPERATOR);
      // One member: the local bucket has the full capacity. Reads pass (reads-when-unavailable: allow) ...
      burst(during, acct, "local");
      // ... and so do writes: PostgreSQL, the record of revocations, answers their revocation check.
      HttpResponse<Buffer> write = web.post(node.gatewayPort(), "127.0.0.1", "/v1/accounts")
          .putHeader("Authorization", "Bearer " + during).putHeader("Content-Type", "application/json")
          .sendBuffer(Buffer.buffer("{\"ledger\":1,\"code\":1}")).await();
      assertThat(write.statusCode()).as(write.bodyAsString()).isEqualTo(201);
      // A revocation needs Redis too (every node must refuse the token within a second).

      HttpResponse<Buffer> revoke = web.post(node.gatewayPort(), "127.0.0.1", "/v1/auth/revoke")
          .putHeader("Authorization", "Bearer " + during).send().await();
      assertThat(revoke.statusCode()).isEqualTo(503);
    } finally {
      redis.restart();
    }
    Poll.until(Duration.ofSeconds(30), "back on Redis",
        () -> !rateLimitCheck().getJsonObject("data").getBoolean("degraded"));
    String after = node.tokens().issue("after-outage", Role.OPERATOR);
    burst(after, acct, "redis");
    Redis r = redis.client(node.client());
    try {
      assertThat(r.send(Request.cmd(Command.KEYS).arg("ll:rl:accounts.read:*")).await().size())
          .as("buckets live in Redis again").isGreaterThan(0);
    } finally {
      r.close();
    }
  }
}
