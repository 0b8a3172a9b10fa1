package dev.ledgerline.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestRedis;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node with the gateway, ledger and cache roles whose Redis stops: balances keep coming from memory and the ledger
 * within the Redis command timeout, /health/ready stays up and says the cache is degraded, and Redis comes back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BalanceCacheRedisDownTest {
  private static final TestRedis redis = TestRedis.start();
  @RegisterExtension
  @Order(1)
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger", "cache")
      .set("redis.mode", "external").set("redis.url", redis.uri())
      .set("auth.revocation.reads-when-unavailable", "allow").set("cache.debug-headers", "true")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();

  private static HttpResponse<Buffer> get(String path, String token) {
    return node.web().get(node.gatewayPort(), "127.0.0.1", path).putHeader("Authorization", "Bearer " + token)
        .send().await();
  }

  private static String account(String token) {
    HttpResponse<Buffer> r = node.web().post(node.gatewayPort(), "127.0.0.1", "/v1/accounts")
        .putHeader("Authorization", "Bearer " + token).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{\"ledger\":1,\"code\":1}")).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("id");
  }

  private static JsonObject cacheCheck() {
    var health = node.ready();
    assertThat(health.getKey()).as(health.getValue().encode()).isEqualTo(200);
    assertThat(health.getValue().getString("status")).isEqualTo("UP");
    return Health.check(health.getValue(), "cache");
  }

  @Test
  void withRedisStoppedBalancesComeFromMemoryAndTheLedgerAndHealthSaysDegraded() {
    String owner = node.tokens().issue("redis-down-owner", Role.USER);
    String cached = account(owner);
    String cold = account(owner);
    // Every create primes its balance: a transfer to the cold account drops it again.
    HttpResponse<Buffer> t = node.web().post(node.gatewayPort(), "127.0.0.1", "/v1/transfers")
        .putHeader("Authorization", "Bearer " + owner).putHeader("Content-Type", "application/json")
        .putHeader("Idempotency-Key", java.util.UUID.randomUUID().toString())
        .sendBuffer(Buffer.buffer("{\"debit_account_id\":\"" + account(owner) + "\",\"credit_account_id\":\"" + cold
            + "\",\"amount\":\"1\",\"ledger\":1,\"code\":1}")).await();
    assertThat(t.statusCode()).as(t.bodyAsString()).isEqualTo(201);
    assertThat(get("/v1/accounts/" + cached, owner).getHeader("X-Cache")).isEqualTo("L1");
    assertThat(cacheCheck().getJsonObject("data").getBoolean("degraded")).isFalse();

    redis.stop();
    try {
      HttpResponse<Buffer> hit = get("/v1/accounts/" + cached, owner);
      assertThat(hit.statusCode()).isEqualTo(200);
      assertThat(hit.getHeader("X-Cache")).isEqualTo("L1");
      long t0 = System.nanoTime();
      HttpResponse<Buffer> miss = get("/v1/accounts/" + cold, owner);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(miss.statusCode()).isEqualTo(200);
      assertThat(miss.getHeader("X-Cache")).isEqualTo("miss");
      assertThat(ms).as("bounded by redis.command-timeout, not by Redis").isLessThan(3_000);
      Poll.until(Duration.ofSeconds(30), "the cache says degraded in /health/ready",
          () -> cacheCheck().getJsonObject("data").getBoolean("degraded"));
    } finally {
      redis.restart();
    }
    Poll.until(Duration.ofSeconds(30), "the cache uses Redis again", () -> {
      get("/v1/accounts/" + cold + "?consistent=true", owner);
      return !cacheCheck().getJsonObject("data").getBoolean("degraded");
    });
  }
}
