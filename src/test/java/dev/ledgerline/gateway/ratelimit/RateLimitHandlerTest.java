package dev.ledgerline.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.LedgerlineConfig.RateLimit;
import dev.ledgerline.gateway.http.RequestIds;
import dev.ledgerline.testing.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class RateLimitHandlerTest {
  private TestRedis redis;
  private Vertx vertx;
  private RateLimiter limiter;
  private WebClient client;
  private int port;

  @BeforeEach
  void start(Vertx v) {
    redis = TestRedis.start();
    vertx = v;
    limiter = new RateLimiter(vertx, redis.client(vertx),
        Map.of("default", new RateLimit(1000, 1000), "transfers.create", new RateLimit(3, 0.01)), () -> 1,
        new SimpleMeterRegistry(), new RateLimiter.Options(Duration.ofSeconds(5), Duration.ofSeconds(1), "ll:rl:",
            1000));
    limiter.start().await();
    Router router = Router.router(vertx);
    router.route().handler(new RequestIds("test"));
    // vertx-web's order on a route: body, then authentication, then user handlers such as the limiter.
    router.post("/transfers")
        .handler(BodyHandler.create(false).setBodyLimit(1024))
        .handler(RateLimitHandler.create(limiter, "transfers.create",
            RateLimitHandler.subjectOrIp(rc -> rc.request().getHeader("X-Test-Subject"))))
        .handler(rc -> rc.response().end(rc.body().asString()));
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
    port = server.actualPort();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    limiter.close();
    redis.close();
  }

  private HttpResponse<Buffer> post(String body) throws Exception {
    return client.post(port, "127.0.0.1", "/transfers").sendBuffer(Buffer.buffer(body)).await(10, TimeUnit.SECONDS);
  }

  /**
   * The {@code t} of a RateLimit header: the next token in 100 s at 0.01/s, less what refilled since the first
   * request (a second already makes it 99), so the bound is loose on purpose.
   */
  private static long nextTokenSeconds(HttpResponse<Buffer> r, long remaining) {
    String header = r.getHeader("RateLimit");
    assertThat(header).startsWith("\"transfers.create\";r=" + remaining + ";t=");
    long t = Long.parseLong(header.substring(header.indexOf(";t=") + 3));
    assertThat(t).as(header).isBetween(90L, 100L);
    return t;
  }

  @Test
  void allowedRequestsCarryTheHeadersAndTheDeniedOneIsAProblemWithRetryAfter() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> ok = post("{\"n\":" + i + "}");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.bodyAsString()).isEqualTo("{\"n\":" + i + "}");
      assertThat(ok.getHeader("RateLimit-Policy")).isEqualTo("\"transfers.create\";q=3;w=300");
      nextTokenSeconds(ok, 2 - i);
      assertThat(ok.getHeader("Retry-After")).isNull();
    }
    HttpResponse<Buffer> denied = post("{\"n\":3}");
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.getHeader("content-type")).isEqualTo("application/problem+json");
    assertThat(denied.getHeader("RateLimit-Policy")).isEqualTo("\"transfers.create\";q=3;w=300");
    long t = nextTokenSeconds(denied, 0);
    // Never earlier than the next token; jitter adds at most 20%.
    assertThat(Long.parseLong(denied.getHeader("Retry-After"))).isBetween(t, t + Math.max(1, t / 5));
    JsonObject problem = denied.bodyAsJsonObject();
    assertThat(problem.getString("type")).isEqualTo(RateLimitHandler.QUOTA_EXCEEDED);
    assertThat(problem.getString("title")).isEqualTo("Too Many Requests");
    assertThat(problem.getInteger("status")).isEqualTo(429);
    assertThat(problem.getString("detail")).contains("transfers.create");
    assertThat(problem.getString("request_id")).isNotBlank().isEqualTo(denied.getHeader(RequestIds.HEADER));
    assertThat(problem.getJsonArray("violated-policies").getList()).containsExactly("transfers.create");
  }

  @Test
  void anonymousClientsAreLimitedByTheirAddress() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(post("x").statusCode()).isEqualTo(200);
    }
    assertThat(post("x").statusCode()).isEqualTo(429);
    // The same bucket the handler used: subject ip:127.0.0.1.
    assertThat(limiter.check("ip:127.0.0.1", "transfers.create").await().allowed()).isFalse();
    assertThat(limiter.check("ip:127.0.0.2", "transfers.create").await().allowed()).isTrue();
    // An authenticated caller from the same address has a bucket of its own.
    HttpResponse<Buffer> alice = client.post(port, "127.0.0.1", "/transfers").putHeader("X-Test-Subject", "alice")
        .sendBuffer(Buffer.buffer("a")).await(10, TimeUnit.SECONDS);
    assertThat(alice.statusCode()).isEqualTo(200);
    nextTokenSeconds(alice, 2);
    assertThat(limiter.check("sub:alice", "transfers.create").await().remaining()).isEqualTo(1);
  }
}
