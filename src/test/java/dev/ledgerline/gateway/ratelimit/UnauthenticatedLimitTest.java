package dev.ledgerline.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.gateway.auth.JwtSigner;
import dev.ledgerline.gateway.auth.TestKeys;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests and WebSocket handshakes without a valid token (none, a malformed header, a token that does not verify, a
 * revoked one) are charged to the client address's {@code unauthenticated} bucket; valid tokens never are. One node
 * with a tiny {@code unauthenticated} limit that does not refill within a test; each test sends from its own loopback
 * address (127.0.0.x), so each has its own bucket. Also the stream's caps on ids per message and per connection.
 */
class UnauthenticatedLimitTest {
  private static final int CAPACITY = 3;
  private static final AtomicInteger NEXT_ADDRESS = new AtomicInteger(10);
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      // One token per 1000 s: nothing refills while a test runs.
      .rateLimits("{\"default\":{\"capacity\":100000,\"refill-per-second\":100000},"
          + "\"unauthenticated\":{\"capacity\":" + CAPACITY + ",\"refill-per-second\":0.001}}")
      .set("gateway.stream.max-accounts-per-message", "3").set("gateway.stream.max-accounts", "4").build();

  /** A loopback address of its own, so a test's requests fill a bucket no other test touches. */
  private static String newAddress() {
    return "127.0.0." + NEXT_ADDRESS.incrementAndGet();
  }

  private static WebClient from(String address) {
    return WebClient.create(node.client(), new WebClientOptions().setLocalAddress(address));
  }

  private static String account(WebClient web, String token) {
    HttpResponse<Buffer> r = web.post(node.gatewayPort(), "127.0.0.1", "/v1/accounts")
        .bearerTokenAuthentication(token)
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"ledger\":1,\"code\":1}")).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("id");
  }

  private static int get(WebClient web, String path, UnaryOperator<HttpRequest<Buffer>> credentials) {
    HttpResponse<Buffer> r = credentials.apply(web.get(node.gatewayPort(), "127.0.0.1", path)).send().await();
    if (r.statusCode() == 429) {
      assertThat(r.getHeader("Retry-After")).isNotNull();
      assertThat(r.bodyAsJsonObject().getJsonArray("violated-policies")).containsExactly("unauthenticated");
    }
    return r.statusCode();
  }

  private static UnaryOperator<HttpRequest<Buffer>> header(String value) {
    return r -> r.putHeader("Authorization", value);
  }

  @Test
  void garbageTokensMalformedHeadersAndBadCookiesAreChargedToTheAddress() {
    WebClient web = from(newAddress());
    String valid = node.tokens().user("valid-user");
    String own = account(web, valid);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < CAPACITY + 2; i++) {
      statuses.add(get(web, "/v1/accounts/" + own, header("Bearer garbage-" + i)));
    }
    assertThat(statuses).containsExactly(401, 401, 401, 429, 429);
    // Every other way of presenting no valid token takes from the same, now empty, bucket.
    assertThat(get(web, "/v1/accounts/" + own, header("Basic dXNlcjpwYXNz"))).isEqualTo(429);
    assertThat(get(web, "/v1/accounts/" + own, r -> r.putHeader("Cookie", "ll_token=garbage"))).isEqualTo(429);
    assertThat(get(web, "/v1/accounts/" + own, r -> r)).isEqualTo(429);
    assertThat(get(web, "/openapi.json", header("Bearer garbage"))).isEqualTo(429);
    // A valid token is limited by its subject only: the address's empty bucket does not touch it.
    for (int i = 0; i < 10; i++) {
      assertThat(get(web, "/v1/accounts/" + own, header("Bearer " + valid))).isEqualTo(200);
    }
  }

  @Test
  void aWellFormedTokenThatFailsVerificationIsCharged() throws Exception {
    WebClient web = from(newAddress());
    long now = Instant.now().getEpochSecond();
    JwtSettings jwt = node.tokens().settings();
    JsonObject claims = new JsonObject().put("iss", jwt.issuer()).put("aud", jwt.audience()).put("sub", "forger")
        .put("roles", List.of("user")).put("jti", "j-1").put("iat", now).put("exp", now + 600);
    String foreign = JwtSigner.sign("RS256", null, claims, TestKeys.rsa().getPrivate());
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < CAPACITY + 1; i++) {
      statuses.add(get(web, "/v1/accounts/1", header("Bearer " + foreign)));
    }
    assertThat(statuses).containsExactly(401, 401, 401, 429);
  }

  @Test
  void aRevokedTokenIsCharged() {
    WebClient web = from(newAddress());
    String revoked = node.tokens().user("revoked-user");
    String own = account(web, revoked);
    HttpResponse<Buffer> r = web.post(node.gatewayPort(), "127.0.0.1", "/v1/auth/revoke")
        .bearerTokenAuthentication(revoked)
        .send().await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < CAPACITY + 1; i++) {
      statuses.add(get(web, "/v1/accounts/" + own, header("Bearer " + revoked)));
    }
    assertThat(statuses).containsExactly(401, 401, 401, 429);
  }

  @Test
  void aSuspendedUsersTokenIsCharged() {
    WebClient web = from(newAddress());
    String suspended = node.tokens().user("suspended-user");
    String own = account(web, suspended);
    String admin = node.tokens().issue("limit-admin", dev.ledgerline.users.Role.ADMIN);
    HttpResponse<Buffer> r = web.patch(node.gatewayPort(), "127.0.0.1", "/v1/admin/users/suspended-user")
        .bearerTokenAuthentication(admin).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{\"status\":\"suspended\"}")).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < CAPACITY + 1; i++) {
      statuses.add(get(web, "/v1/accounts/" + own, header("Bearer " + suspended)));
    }
    assertThat(statuses).containsExactly(403, 403, 403, 429);
  }

  private static Future<WebSocket> handshake(WebSocketClient ws, String query) {
    return ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.gatewayPort())
        .setURI("/v1/stream" + (query == null ? "" : "?" + query)).setAllowOriginHeader(false));
  }

  private static int rejection(Future<WebSocket> f) {
    Throwable err = f.transform(ar -> Future.succeededFuture(ar.cause())).await();
    assertThat(err).as("handshake refused").isInstanceOf(UpgradeRejectedException.class);
    return ((UpgradeRejectedException) err).getStatus();
  }

  @Test
  void webSocketHandshakesWithoutAValidTokenAreCharged() {
    String address = newAddress();
    WebSocketClient ws = node.client().createWebSocketClient(new WebSocketClientOptions().setLocalAddress(address));
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < CAPACITY + 1; i++) {
      statuses.add(rejection(handshake(ws, "access_token=garbage-" + i)));
    }
    assertThat(statuses).containsExactly(401, 401, 401, 429);
    assertThat(rejection(handshake(ws, null))).isEqualTo(429);
    // A valid token still connects from the same address.
    WebSocket open = handshake(ws, "access_token=" + node.tokens().user("streamer")).await();
    open.close().await();
  }

  // ---- stream caps (gateway.stream.max-accounts-per-message 3, max-accounts 4) ----

  @Test
  void subscribeMessagesAndConnectionsAreCappedWithAClearError() throws Exception {
    String address = newAddress();
    WebClient web = from(address);
    String t = node.tokens().user("capped");
    List<String> own = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      own.add(account(web, t));
    }
    WebSocketClient ws = node.client().createWebSocketClient(new WebSocketClientOptions().setLocalAddress(address));
    WebSocket socket = handshake(ws, "access_token=" + t).await();
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    socket.textMessageHandler(m -> frames.add(new JsonObject(m)));
    try {
      socket.writeTextMessage(subscribe(own.subList(0, 4))).await();
      JsonObject tooMany = next(frames);
      assertThat(tooMany.getString("type")).isEqualTo("error");
      assertThat(tooMany.getString("code")).isEqualTo("too_many");
      assertThat(tooMany.getString("message")).contains("at most 3 account ids per message");

      socket.writeTextMessage(subscribe(own.subList(0, 3))).await();
      JsonObject subscribed = next(frames);
      assertThat(subscribed.getString("type")).isEqualTo("subscribed");
      assertThat(subscribed.getJsonArray("accounts")).containsExactlyElementsOf(own.subList(0, 3));

      // 3 subscribed + 2 new > 4: refused whole, nothing subscribed.
      socket.writeTextMessage(subscribe(own.subList(3, 5))).await();
      JsonObject full = next(frames);
      assertThat(full.getString("code")).isEqualTo("too_many");
      assertThat(full.getString("message")).contains("at most 4 accounts per stream");

      // Ids already subscribed do not count again; one new id still fits.
      socket.writeTextMessage(subscribe(List.of(own.get(0), own.get(3)))).await();
      JsonObject fits = next(frames);
      assertThat(fits.getString("type")).isEqualTo("subscribed");
      assertThat(fits.getJsonArray("accounts")).containsExactly(own.get(0), own.get(3));
    } finally {
      socket.close().await();
    }
  }

  private static String subscribe(List<String> ids) {
    return new JsonObject().put("type", "subscribe").put("accounts", new JsonArray(new ArrayList<>(ids))).encode();
  }

  private static JsonObject next(LinkedBlockingQueue<JsonObject> frames) throws InterruptedException {
    JsonObject f = frames.poll(30, TimeUnit.SECONDS);
    assertThat(f).as("a frame within 30 s").isNotNull();
    return f;
  }
}
