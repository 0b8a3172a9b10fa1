package dev.ledgerline.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.auth.TestKeys;
import dev.ledgerline.gateway.revocation.RevocationStore;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.Tokens;
import dev.ledgerline.users.Role;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
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
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in one Hazelcast cluster sharing PostgreSQL and Redis (both embedded in node A): A runs the ledger and a
 * gateway, B only a gateway. Covers the stream across nodes, revocation across nodes, one rate-limit bucket for the
 * cluster, token sources and the security headers.
 */
class StreamClusterTest {
  private static final String APP = "https://app.example";
  @TempDir
  static Path dir;
  @RegisterExtension
  static final NodeExtension nodes = NodeExtension.nodes();
  private static Node a;
  private static Node b;
  private static int portA;
  private static int portB;
  private static Tokens tokens;
  private static WebClient web;
  private static WebSocketClient ws;

  @BeforeAll
  static void start() throws Exception {
    KeyPair keys = TestKeys.rsa();
    Path pub = TestKeys.writePublicPem(dir, "jwt-public.pem", keys);
    Path priv = TestKeys.writePrivatePem(dir, "jwt-private.pem", keys);
    int[] hz = {FreePorts.next(), FreePorts.next()};
    String members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1];
    String cluster = "stream-" + System.nanoTime();
    portA = FreePorts.next();
    portB = FreePorts.next();
    Map<String, String> common = Map.of("cluster.enabled", "true", "cluster.name", cluster,
        "cluster.members", members, "auth.jwt.public-keys", pub.toString(), "auth.jwt.private-key", priv.toString(),
        "auth.jwt.dev-keys", "false", "gateway.cors.allowed-origins", APP, "gateway.instances", "2",
        "gateway.stream.max-queued", "50",
        "gateway.rate-limits", "{\"default\":{\"capacity\":100000,\"refill-per-second\":100000},"
            + "\"transfers.read\":{\"capacity\":5,\"refill-per-second\":0.01}}");
    common = new HashMap<>(common);
    common.put("gateway.stream.ping-interval", "500ms");
    // Configured keys: unknown subjects would be refused; these tests make their users on first sight.
    common.put("auth.users.auto-provision", "true");
    Map<String, String> sa = new HashMap<>(common);
    sa.putAll(Map.of("node.id", "a", "node.roles", "gateway,ledger", "cluster.port", String.valueOf(hz[0]),
        "gateway.port", String.valueOf(portA)));
    ConfigService configA = NodeExtension.configWith(sa);
    a = nodes.start(configA);
    Map<String, String> sb = new HashMap<>(common);
    sb.putAll(Map.of("node.id", "b", "node.roles", "gateway", "cluster.port", String.valueOf(hz[1]),
        "gateway.port", String.valueOf(portB),
        "postgres.mode", "external", "postgres.url", a.services().postgresUrl().orElseThrow().url(),
        "redis.mode", "external", "redis.url", a.services().redisUrl().orElseThrow()));
    b = nodes.start(sb);
    tokens = Tokens.of(configA);
    web = WebClient.create(nodes.client());
    ws = nodes.client().createWebSocketClient(new WebSocketClientOptions().setReceiveBufferSize(4096));
    Poll.until(Duration.ofSeconds(30), "both nodes in the cluster", () -> a.members() == 2 && b.members() == 2);
    awaitCommittedTransfersOnBothNodes();
  }

  /**
   * A gateway registers its consumer of committed transfers when its first stream opens. The ledger node learns of a
   * consumer on a node through a Hazelcast event, asynchronously: a publish right after a stream opened on a node new
   * to that address could miss it. Once a committed transfer has reached a stream on each node, both nodes stay known
   * (consumers are never removed), so the tests below do not depend on that timing.
   */
  private static void awaitCommittedTransfersOnBothNodes() throws Exception {
    String w = tokens.issue("warm-up", Role.USER);
    String from = account(w);
    String to = account(w);
    List<StreamClient> clients = List.of(open(portA, w), open(portB, w));
    for (StreamClient c : clients) {
      c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(to)));
      assertThat(c.next().getString("type")).isEqualTo("subscribed");
    }
    boolean[] reached = new boolean[clients.size()];
    Instant deadline = Instant.now().plusSeconds(60);
    while (!(reached[0] && reached[1])) {
      assertThat(Instant.now()).as("a committed transfer reaches both nodes within 60 s").isBefore(deadline);
      assertThat(post(portA, "/v1/transfers", w, transfer(from, to, "1")).statusCode()).isEqualTo(201);
      for (int i = 0; i < clients.size(); i++) {
        // Frames of earlier transfers may still come; any frame proves the node is reached.
        reached[i] |= clients.get(i).frames.poll(reached[i] ? 0 : 500, TimeUnit.MILLISECONDS) != null;
      }
    }
    for (StreamClient c : clients) {
      c.socket.close().await();
    }
  }

  // ---- helpers ----

  private static HttpResponse<Buffer> send(HttpMethod method, int port, String path, String token, String body,
      Map<String, String> headers) {
    HttpRequest<Buffer> req = web.request(method, port, "127.0.0.1", path);
    if (method == HttpMethod.POST && path.startsWith("/v1/transfers")) {
      req.putHeader("Idempotency-Key", java.util.UUID.randomUUID().toString());
    }
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    headers.forEach(req::putHeader);
    if (body == null) {
      return req.send().await();
    }
    return req.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body)).await();
  }

  private static HttpResponse<Buffer> get(int port, String path, String token) {
    return send(HttpMethod.GET, port, path, token, null, Map.of());
  }

  private static HttpResponse<Buffer> post(int port, String path, String token, String body) {
    return send(HttpMethod.POST, port, path, token, body, Map.of());
  }

  private static String account(String token) {
    HttpResponse<Buffer> r = post(portA, "/v1/accounts", token, "{\"ledger\":1,\"code\":1}");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("id");
  }

  private static String transfer(String debit, String credit, String amount) {
    return "{\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":\"" + amount
        + "\",\"ledger\":1,\"code\":1}";
  }

  /** A stream client that collects frames and the close code. */
  private static final class StreamClient {
    final WebSocket socket;
    final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<Short> closed = new LinkedBlockingQueue<>();

    StreamClient(WebSocket socket) {
      this.socket = socket;
      socket.textMessageHandler(t -> frames.add(new JsonObject(t)));
      socket.closeHandler(v -> closed.add(socket.closeStatusCode() == null ? -1 : socket.closeStatusCode()));
    }

    JsonObject next() throws InterruptedException {
      JsonObject f = frames.poll(30, TimeUnit.SECONDS);
      assertThat(f).as("a frame within 30 s").isNotNull();
      return f;
    }

    void send(JsonObject message) {
      socket.writeTextMessage(message.encode()).await();
    }

    short awaitClose(Duration within) throws InterruptedException {
      Short code = closed.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(code).as("closed within %s", within).isNotNull();
      return code;
    }
  }

  private static Future<WebSocket> connect(int port, String query, Map<String, String> headers) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/v1/stream" + (query == null ? "" : "?" + query))
        // Vert.x would add an Origin of its own; without one the client looks like a non-browser client.
        .setAllowOriginHeader(headers.containsKey("Origin"));
    headers.forEach(o::addHeader);
    return ws.connect(o);
  }

  private static StreamClient open(int port, String token) {
    return new StreamClient(connect(port, "access_token=" + token, Map.of("Origin", APP)).await());
  }

  private static int rejection(Future<WebSocket> f) {
    Throwable err = f.transform(ar -> Future.succeededFuture(ar.cause())).await();
    assertThat(err).as("handshake refused").isInstanceOf(UpgradeRejectedException.class);
    return ((UpgradeRejectedException) err).getStatus();
  }

  // ---- stream ----

  @Test
  void transferOnNodeAIsStreamedToAClientOfNodeBWithConsecutiveSeq() throws Exception {
    String alice = tokens.issue("alice", Role.USER);
    String a1 = account(alice);
    String a2 = account(alice);
    StreamClient c = open(portB, alice);
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(a1)));
    JsonObject sub = c.next();
    assertThat(sub.getString("type")).isEqualTo("subscribed");
    assertThat(sub.getJsonArray("accounts")).containsExactly(a1);
    long seq = sub.getLong("seq");

    HttpResponse<Buffer> t = post(portA, "/v1/transfers", alice, transfer(a1, a2, "70"));
    assertThat(t.statusCode()).isEqualTo(201);
    String tid = t.bodyAsJsonObject().getString("id");

    JsonObject tf = c.next();
    assertThat(tf.getString("type")).isEqualTo("transfer");
    assertThat(tf.getLong("seq")).isEqualTo(seq + 1);
    assertThat(tf.getString("account")).isEqualTo(a1);
    assertThat(tf.getJsonObject("transfer").getString("id")).isEqualTo(tid);
    assertThat(tf.getJsonObject("transfer").getString("amount")).isEqualTo("70");
    assertThat(tf.getJsonObject("transfer").getString("timestamp")).isNotEqualTo("0");
    JsonObject bal = c.next();
    assertThat(bal.getString("type")).isEqualTo("balance");
    assertThat(bal.getLong("seq")).isEqualTo(seq + 2);
    assertThat(bal.getString("account")).isEqualTo(a1);
    assertThat(bal.getString("debits_posted")).isEqualTo("70");
    assertThat(bal.getString("available")).isEqualTo("-70");
    // From node B's balance cache, stating a version at or past the transfer it follows.
    assertThat(Long.parseUnsignedLong(bal.getString("balance_version"))).isGreaterThanOrEqualTo(
        Long.parseUnsignedLong(tf.getJsonObject("transfer").getString("timestamp")));
    assertThat(bal.getLong("balance_age_ms")).isNotNegative();

    // A transfer not touching the subscription is not sent; after unsubscribing nothing more arrives either.
    String a3 = account(alice);
    assertThat(post(portA, "/v1/transfers", alice, transfer(a2, a3, "1")).statusCode()).isEqualTo(201);
    c.send(new JsonObject().put("type", "unsubscribe").put("accounts", new JsonArray().add(a1)));
    JsonObject unsub = c.next();
    assertThat(unsub.getString("type")).isEqualTo("unsubscribed");
    assertThat(unsub.getLong("seq")).isEqualTo(seq + 3);
    assertThat(post(portA, "/v1/transfers", alice, transfer(a1, a3, "2")).statusCode()).isEqualTo(201);
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(a3)));
    // The next frame is the answer to the subscribe, not the a1 transfer made while unsubscribed.
    JsonObject again = c.next();
    assertThat(again.getString("type")).isEqualTo("subscribed");
    assertThat(again.getLong("seq")).isEqualTo(seq + 4);
    c.socket.close().await();
  }

  @Test
  void pendingPostAndVoidAreStreamedAsCommittedTransfers() throws Exception {
    String ops = tokens.issue("ops-stream", Role.OPERATOR);
    String bob = tokens.issue("bob", Role.USER);
    String b1 = account(bob);
    String b2 = account(bob);
    StreamClient c = open(portA, ops);
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(b2)));
    assertThat(c.next().getString("type")).isEqualTo("subscribed");
    HttpResponse<Buffer> pending = post(portA, "/v1/transfers", bob, "{\"debit_account_id\":\"" + b1
        + "\",\"credit_account_id\":\"" + b2 + "\",\"amount\":\"10\",\"ledger\":1,\"code\":1,\"flags\":[\"pending\"]}");
    assertThat(pending.statusCode()).as(pending.bodyAsString()).isEqualTo(201);
    String pid = pending.bodyAsJsonObject().getString("id");
    JsonObject p = c.next();
    assertThat(p.getJsonObject("transfer").getJsonArray("flags")).contains("pending");
    assertThat(c.next().getString("credits_pending")).isEqualTo("10");
    HttpResponse<Buffer> post = post(portA, "/v1/transfers", bob, "{\"pending_id\":\"" + pid
        + "\",\"amount\":\"10\",\"flags\":[\"post_pending_transfer\"]}");
    assertThat(post.statusCode()).as(post.bodyAsString()).isEqualTo(201);
    JsonObject posted = c.next();
    assertThat(posted.getString("type")).isEqualTo("transfer");
    // The posting names no accounts in the request; the stream has them from the stored transfer.
    assertThat(posted.getJsonObject("transfer").getString("credit_account_id")).isEqualTo(b2);
    assertThat(posted.getJsonObject("transfer").getString("pending_id")).isEqualTo(pid);
    JsonObject bal = c.next();
    assertThat(bal.getString("credits_pending")).isEqualTo("0");
    assertThat(bal.getString("credits_posted")).isEqualTo("10");
    c.socket.close().await();
  }

  @Test
  void foreignAndUnknownAccountsGetAnErrorFrameAndNoFrames() throws Exception {
    String carol = tokens.issue("carol", Role.USER);
    String dave = tokens.issue("dave", Role.USER);
    String mine = account(carol);
    String theirs = account(dave);
    StreamClient c = open(portB, carol);
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(theirs)
        .add("123456789012345678901234567890").add(mine)));
    Map<String, JsonObject> byAccount = new HashMap<>();
    JsonObject subscribed = null;
    for (int i = 0; i < 3; i++) {
      JsonObject f = c.next();
      if (f.getString("type").equals("subscribed")) {
        subscribed = f;
      } else {
        byAccount.put(f.getString("account"), f);
      }
    }
    assertThat(subscribed).isNotNull();
    assertThat(subscribed.getJsonArray("accounts")).containsExactly(mine);
    assertThat(byAccount.get(theirs).getString("type")).isEqualTo("error");
    assertThat(byAccount.get(theirs).getString("code")).isEqualTo("not_found");
    assertThat(byAccount.get("123456789012345678901234567890").getString("code")).isEqualTo("not_found");
    // A transfer of dave's is not delivered to carol; one of hers is.
    String d2 = account(dave);
    assertThat(post(portA, "/v1/transfers", dave, transfer(theirs, d2, "5")).statusCode()).isEqualTo(201);
    String c2 = account(carol);
    assertThat(post(portA, "/v1/transfers", carol, transfer(c2, mine, "6")).statusCode()).isEqualTo(201);
    JsonObject next = c.next();
    assertThat(next.getString("account")).isEqualTo(mine);
    assertThat(next.getJsonObject("transfer").getString("amount")).isEqualTo("6");
    c.socket.close().await();
  }

  @Test
  void handshakeRefusesBadOriginMissingTokenCookieOnlyAndRevokedTokensAndRevocationEndsOpenStreams()
      throws Exception {
    String erin = tokens.issue("erin", Role.USER);
    assertThat(rejection(connect(portB, "access_token=" + erin, Map.of("Origin", "https://evil.example"))))
        .isEqualTo(403);
    assertThat(rejection(connect(portB, null, Map.of("Origin", APP)))).isEqualTo(401);
    assertThat(rejection(connect(portB, "access_token=not.a.jwt", Map.of()))).isEqualTo(401);
    // The cookie is not a token source on the handshake.
    assertThat(rejection(connect(portB, null, Map.of("Cookie", "ll_token=" + erin)))).isEqualTo(401);
    // No Origin: a non-browser client with its token in the header is accepted.
    StreamClient open = new StreamClient(connect(portB, null, Map.of("Authorization", "Bearer " + erin)).await());
    assertThat(post(portA, "/v1/auth/revoke", erin, "{}").statusCode()).isEqualTo(200);
    assertThat(rejection(connect(portA, "access_token=" + erin, Map.of("Origin", APP)))).isEqualTo(401);
    // The stream opened before the revocation ends too (its periodic check finds the revocation).
    assertThat(open.awaitClose(Duration.ofSeconds(30))).isEqualTo((short) 1008);
    assertThat(open.socket.closeReason()).isEqualTo("token revoked");
  }

  @Test
  void aSuspensionOnNodeARefusesOnNodeBWithinASecondAndEndsTheUsersStreamThere() throws Exception {
    String admin = tokens.issue("cluster-admin", Role.ADMIN);
    String frank = tokens.issue("frank", Role.USER);
    // Both nodes have frank in their cache, active.
    assertThat(get(portA, "/v1/accounts/1", frank).statusCode()).isEqualTo(404);
    assertThat(get(portB, "/v1/accounts/1", frank).statusCode()).isEqualTo(404);
    StreamClient open = new StreamClient(connect(portB, null, Map.of("Authorization", "Bearer " + frank)).await());

    HttpResponse<Buffer> suspended = send(HttpMethod.PATCH, portA, "/v1/admin/users/frank", admin,
        "{\"status\":\"suspended\",\"reason\":\"cluster test\"}", Map.of());
    assertThat(suspended.statusCode()).as(suspended.bodyAsString()).isEqualTo(200);
    long answeredAt = System.nanoTime();
    assertThat(Poll.holdsWithin(Duration.ofSeconds(1),
        () -> get(portB, "/v1/accounts/1", frank).statusCode() == 403))
        .as("node B refuses within 1 s of the change").isTrue();
    assertThat(System.nanoTime() - answeredAt).isLessThan(Duration.ofSeconds(1).toNanos());
    HttpResponse<Buffer> refused = get(portB, "/v1/accounts/1", frank);
    assertThat(refused.bodyAsJsonObject().getString("type")).isEqualTo("urn:ledgerline:problem:user-suspended");
    assertThat(open.awaitClose(Duration.ofSeconds(5))).isEqualTo((short) 1008);
    assertThat(open.socket.closeReason()).isEqualTo("user suspended");
  }

  @Test
  void aClientThatDoesNotReadIsClosedWith1013() throws Exception {
    String ops = tokens.issue("ops-slow", Role.OPERATOR);
    String s1 = account(ops);
    String s2 = account(ops);
    StreamClient c = open(portB, ops);
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(s1).add(s2)));
    assertThat(c.next().getString("type")).isEqualTo("subscribed");
    c.socket.pause();
    StreamMetrics metrics = b.gateway().streamMetrics();
    long before = metrics.slowCloses();
    StringBuilder batch = new StringBuilder("{\"transfers\":[");
    for (int i = 0; i < 4000; i++) {
      batch.append(i == 0 ? "" : ",").append(transfer(s1, s2, "1"));
    }
    String body = batch.append("]}").toString();
    // Each batch gives 16 000 frames; the socket buffers take some of them, then the queue of 50 overflows.
    boolean closed = false;
    for (int round = 0; round < 10 && !closed; round++) {
      HttpResponse<Buffer> r = post(portA, "/v1/transfers/batch", ops, body);
      assertThat(r.statusCode()).as(r.bodyAsString()).isIn(200, 201, 207);
      closed = Poll.holdsWithin(Duration.ofSeconds(3), () -> metrics.slowCloses() > before);
    }
    assertThat(closed).as("closed as too slow").isTrue();
    c.socket.resume();
    assertThat(c.awaitClose(Duration.ofSeconds(30))).isEqualTo((short) 1013);
    assertThat(c.socket.closeReason()).contains("too slow");
  }

  @Test
  void theStreamIsPingedAndClosesWith1008WhenTheTokenExpires() throws Exception {
    // Long enough for a few pings after a slow handshake (exp has whole seconds: 4 to 5 s of life).
    Instant exp = Instant.now().plusSeconds(5);
    String shortLived = tokens.issue("frank", Duration.ofSeconds(5), Role.USER);
    StreamClient c = open(portB, shortLived);
    AtomicInteger pings = new AtomicInteger();
    c.socket.frameHandler(f -> {
      if (f.isPing()) {
        pings.incrementAndGet();
      }
    });
    assertThat(c.awaitClose(Duration.ofSeconds(30))).isEqualTo((short) 1008);
    // Pinged every 500 ms while it lasted (about 5 s).
    assertThat(pings.get()).isGreaterThanOrEqualTo(2);
    // Not before the token's exp (which has whole seconds).
    assertThat(Instant.now()).isAfterOrEqualTo(exp.minusSeconds(1));
    assertThat(c.socket.closeReason()).contains("expired");
  }

  // ---- revocation, token sources, headers, shared buckets ----

  @Test
  void aRevokedTokenIsRefusedOnTheOtherNodeWithinOneSecond() throws Exception {
    String grace = tokens.issue("grace", Role.USER);
    String acct = account(grace);
    // Node B has answered (and cached) "not revoked" for this token.
    assertThat(get(portB, "/v1/accounts/" + acct, grace).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> r = post(portA, "/v1/auth/revoke", grace, null);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getString("jti")).isNotEmpty();
    awaitNotRevokedAnswersExpired(System.nanoTime());
    assertThat(get(portB, "/v1/accounts/" + acct, grace).statusCode()).as("refused on node B").isEqualTo(401);
    assertThat(get(portA, "/v1/accounts/" + acct, grace).statusCode()).isEqualTo(401);
  }

  @Test
  void onlyAnAdminRevokesSomeoneElsesToken() throws Exception {
    String henry = tokens.issue("henry", Role.USER);
    String ivan = tokens.issue("ivan", Role.USER);
    String admin = tokens.issue("root", Role.ADMIN);
    String acct = account(ivan);
    String body = new JsonObject().put("token", ivan).encode();
    assertThat(post(portA, "/v1/auth/revoke", henry, body).statusCode()).isEqualTo(403);
    assertThat(get(portA, "/v1/accounts/" + acct, ivan).statusCode()).isEqualTo(200);
    assertThat(post(portA, "/v1/auth/revoke", admin, "{\"token\":\"garbage\"}").statusCode()).isEqualTo(400);
    assertThat(post(portB, "/v1/auth/revoke", admin, body).statusCode()).isEqualTo(200);
    awaitNotRevokedAnswersExpired(System.nanoTime());
    assertThat(get(portA, "/v1/accounts/" + acct, ivan).statusCode()).isEqualTo(401);
    assertThat(get(portB, "/v1/accounts/" + acct, henry).statusCode()).as("henry's token still works")
        .isEqualTo(404);
  }

  @Test
  void cookieOnGetOrWithCsrfHeaderAndQueryTokenNeverOnHttp() {
    String judy = tokens.issue("judy", Role.USER);
    String acct = account(judy);
    Map<String, String> cookie = Map.of("Cookie", "ll_token=" + judy);
    assertThat(send(HttpMethod.GET, portB, "/v1/accounts/" + acct, null, null, cookie).statusCode()).isEqualTo(200);
    String newAccount = "{\"ledger\":1,\"code\":1}";
    assertThat(send(HttpMethod.POST, portB, "/v1/accounts", null, newAccount, cookie).statusCode()).isEqualTo(401);
    Map<String, String> withCsrf = Map.of("Cookie", "ll_token=" + judy, "X-CSRF", "1");
    assertThat(send(HttpMethod.POST, portB, "/v1/accounts", null, newAccount, withCsrf).statusCode())
        .isEqualTo(201);
    assertThat(get(portB, "/v1/accounts/" + acct + "?access_token=" + judy, null).statusCode()).isEqualTo(401);
  }

  @Test
  void securityHeadersAndCorsForTheAllowedOriginOnly() {
    String kim = tokens.issue("kim", Role.USER);
    String acct = account(kim);
    HttpResponse<Buffer> r = get(portB, "/v1/accounts/" + acct, kim);
    assertThat(r.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
    // A balance may be kept by the client only (the balance cache's validators); never by a shared cache.
    assertThat(r.getHeader("Cache-Control")).startsWith("private, max-age=");
    assertThat(r.getHeader("Vary")).contains("Authorization");
    assertThat(get(portB, "/v1/accounts/" + acct + "/transfers", kim).getHeader("Cache-Control"))
        .as("other authenticated answers are not stored at all").isEqualTo("no-store");
    assertThat(r.getHeader("Strict-Transport-Security")).as("no HSTS without TLS").isNull();
    assertThat(r.getHeader("RateLimit")).startsWith("\"accounts.read\";r=");
    HttpResponse<Buffer> plain = get(portB, "/v1/stream", kim);
    assertThat(plain.statusCode()).as("a GET that is not an upgrade").isEqualTo(426);
    assertThat(plain.getHeader("Upgrade")).isEqualTo("websocket");
    HttpResponse<Buffer> doc = get(portB, "/openapi.json", null);
    assertThat(doc.getHeader("Cache-Control")).doesNotContain("no-store");
    assertThat(doc.getHeader("RateLimit")).startsWith("\"unauthenticated\";r=");
    Map<String, String> preflight = Map.of("Origin", APP, "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "authorization,content-type");
    HttpResponse<Buffer> ok = send(HttpMethod.OPTIONS, portB, "/v1/transfers", null, null, preflight);
    assertThat(ok.getHeader("Access-Control-Allow-Origin")).isEqualTo(APP);
    HttpResponse<Buffer> evil = send(HttpMethod.OPTIONS, portB, "/v1/transfers", null, null,
        Map.of("Origin", "https://evil.example", "Access-Control-Request-Method", "POST"));
    assertThat(evil.getHeader("Access-Control-Allow-Origin")).isNull();
  }

  @Test
  void twoNodesShareOneBucket() {
    String lee = tokens.issue("lee", Role.USER);
    String acct = account(lee);
    String other = account(lee);
    String tid = post(portA, "/v1/transfers", lee, transfer(acct, other, "1")).bodyAsJsonObject().getString("id");
    // The shared bucket lives in Redis. A Redis command slower than the limiter's timeout during an earlier, busy
    // test switches a node to local buckets (half the capacity each) until its next probe; wait until both are back.
    Poll.until(Duration.ofSeconds(30), "both nodes back on Redis buckets", () -> Stream.of(a, b)
        .noneMatch(n -> n.gateway().limiter().degraded()));
    // transfers.read: capacity 5, practically no refill. Three on A and two on B use it up for both.
    AtomicInteger ok = new AtomicInteger();
    for (int port : List.of(portA, portA, portA, portB, portB)) {
      HttpResponse<Buffer> r = get(port, "/v1/transfers/" + tid, lee);
      assertThat(r.statusCode()).isEqualTo(200);
      ok.incrementAndGet();
    }
    for (int port : List.of(portB, portA)) {
      HttpResponse<Buffer> denied = get(port, "/v1/transfers/" + tid, lee);
      assertThat(denied.statusCode()).isEqualTo(429);
      assertThat(denied.getHeader("Content-Type")).isEqualTo("application/problem+json");
      assertThat(Integer.parseInt(denied.getHeader("Retry-After"))).isGreaterThanOrEqualTo(1);
      assertThat(denied.getHeader("RateLimit-Policy")).isEqualTo("\"transfers.read\";q=5;w=500");
      assertThat(denied.getHeader("RateLimit")).startsWith("\"transfers.read\";r=0;");
    }
    assertThat(ok.get()).isEqualTo(5);
    // Another subject has its own bucket.
    assertThat(get(portB, "/v1/transfers/" + tid, tokens.issue("ops-bucket", Role.OPERATOR)).statusCode())
        .isEqualTo(200);
  }

  /**
   * A node may reuse a "not revoked" answer for the store's notRevokedTtl (under 1 s, which is what makes revocation
   * apply within a second), counted from when it asked; every answer cached before the revocation has expired once
   * that long has passed since it was made. Waiting for that time is the subject of the tests, not a synchronisation:
   * a fixed count of retries within a second would depend on how fast the requests run.
   */
  private static void awaitNotRevokedAnswersExpired(long revokedAt) throws InterruptedException {
    Duration ttl = RevocationStore.Options.DEFAULTS.notRevokedTtl();
    assertThat(ttl).isLessThan(Duration.ofSeconds(1));
    Poll.until(Duration.ofSeconds(10), "notRevokedTtl elapsed since the revocation",
        () -> System.nanoTime() - revokedAt >= ttl.toNanos());
  }
}
