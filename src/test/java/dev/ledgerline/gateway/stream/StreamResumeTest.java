package dev.ledgerline.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerApi;
import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Tokens;
import dev.ledgerline.users.Role;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Resuming {@code /v1/stream} with {@code after}: replay from the ledger, then live, with no gap and no duplicate;
 * and every cursor that is not this account's own (garbage, forged, another account's, too old) refused with an
 * error frame on a connection that goes on working.
 */
class StreamResumeTest {
  /** A configured key, so the test can make cursors of its own: some valid, some forged. */
  private static final byte[] KEY = "stream-resume-test-key-of-32-bytes!!".getBytes();

  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND)
      .set("feed.cursor-key", Base64.getEncoder().encodeToString(KEY))
      .build();

  @Test
  void aClientResumingAfterADisconnectWhile1000TransfersCommitGetsEveryMissedFrameInOrderOnce(Tokens tokens,
      WebClient web) throws Exception {
    String user = tokens.issue("resume-" + UUID.randomUUID(), Role.USER);
    String from = account(web, user);
    String to = account(web, user);
    StreamClient first = open(user);
    JsonObject subscribed = first.subscribe(to, null);
    assertThat(subscribed.getString("type")).isEqualTo("subscribed");
    assertThat(subscribed.getJsonObject("cursors").getString(to)).isNotEmpty();
    List<String> before = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      before.add(created(post(web, user, "/v1/transfers", transfer(from, to))));
    }
    String cursor = null;
    for (int i = 0; i < 5; i++) {
      JsonObject tf = first.next();
      assertThat(tf.getString("type")).isEqualTo("transfer");
      assertThat(tf.getJsonObject("transfer").getString("id")).isEqualTo(before.get(i));
      JsonObject bal = first.next();
      assertThat(bal.getString("type")).isEqualTo("balance");
      assertThat(bal.getString("cursor")).isEqualTo(tf.getString("cursor"));
      cursor = bal.getString("cursor");
    }
    first.socket.close().await();

    // 1,000 transfers in 50 batches, all sent at once; the client comes back while they commit.
    List<Future<HttpResponse<Buffer>>> batches = new ArrayList<>();
    for (int b = 0; b < 50; b++) {
      StringBuilder body = new StringBuilder("{\"transfers\":[");
      for (int i = 0; i < 20; i++) {
        body.append(i == 0 ? "" : ",").append(transfer(from, to));
      }
      batches.add(send(web, user, "/v1/transfers/batch", body.append("]}").toString()));
    }
    batches.get(5).await();
    StreamClient second = open(user);
    JsonObject resumed = second.subscribe(to, cursor);
    assertThat(resumed.getString("type")).as(resumed.encode()).isEqualTo("subscribed");
    Set<String> missed = new HashSet<>();
    for (Future<HttpResponse<Buffer>> b : batches) {
      HttpResponse<Buffer> r = b.await();
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      r.bodyAsJsonObject().getJsonArray("results").forEach(t -> {
        assertThat(((JsonObject) t).getString("result")).isEqualTo("ok");
        missed.add(((JsonObject) t).getString("id"));
      });
    }
    assertThat(missed).hasSize(1000);
    // A last transfer marks the end: every frame before it has arrived once it does.
    String marker = created(post(web, user, "/v1/transfers", transfer(from, to)));

    List<String> ids = new ArrayList<>();
    long seq = resumed.getLong("seq");
    long lastTimestamp = 0;
    String lastCursor = null;
    int replayed = 0;
    while (true) {
      JsonObject f = second.next();
      assertThat(f.getLong("seq")).isEqualTo(++seq);
      assertThat(f.getString("account")).isEqualTo(to);
      if (!"transfer".equals(f.getString("type"))) {
        assertThat(f.getString("type")).isEqualTo("balance");
        assertThat(f.getString("cursor")).isEqualTo(lastCursor);
        continue;
      }
      long timestamp = Long.parseUnsignedLong(f.getJsonObject("transfer").getString("timestamp"));
      assertThat(Long.compareUnsigned(timestamp, lastTimestamp)).as("commit order").isPositive();
      lastTimestamp = timestamp;
      lastCursor = f.getString("cursor");
      assertThat(lastCursor).isNotEmpty();
      replayed += f.getBoolean("replay", false) ? 1 : 0;
      String id = f.getJsonObject("transfer").getString("id");
      if (id.equals(marker)) {
        break;
      }
      ids.add(id);
    }
    assertThat(ids).doesNotHaveDuplicates().doesNotContainAnyElementsOf(before);
    assertThat(new HashSet<>(ids)).isEqualTo(missed);
    // The sixth batch had committed before the client came back: at least its 20 came from the replay.
    assertThat(replayed).isGreaterThanOrEqualTo(20);
    second.socket.close().await();
  }

  @Test
  void cursorsThatAreNotThisAccountsOwnAreRefusedAndTheStreamGoesOn(Tokens tokens, WebClient web)
      throws Exception {
    String user = tokens.issue("cursors-" + UUID.randomUUID(), Role.USER);
    String mine = account(web, user);
    String other = account(web, user);
    String stranger = tokens.issue("stranger-" + UUID.randomUUID(), Role.USER);
    String theirs = account(web, stranger);
    StreamCursors ours = new StreamCursors(KEY);
    long now = Instant.now().toEpochMilli() * 1_000_000L;
    String valid = ours.encode(UInt128.parse(mine), now);
    char flipped = valid.charAt(10) == 'A' ? 'B' : 'A';
    byte[] otherKey = "another-key-another-key-another-key!".getBytes();

    record Case(String name, Object after, String code) {}
    List<Case> cases = List.of(
        new Case("empty", "", "bad_cursor"),
        new Case("huge", "A".repeat(60_000), "bad_cursor"),
        // A NUL in any string makes the message unreadable, as an HTTP body with one is.
        new Case("NUL", "\u0000", "bad_message"),
        new Case("NUL inside a cursor", valid.substring(0, 20) + "\u0000" + valid.substring(21), "bad_message"),
        new Case("number", 42, "bad_cursor"),
        new Case("object", new JsonObject().put("cursor", valid), "bad_cursor"),
        new Case("array", new JsonArray().add(valid), "bad_cursor"),
        new Case("null", null, "bad_cursor"),
        new Case("boolean", true, "bad_cursor"),
        new Case("not base64", "!".repeat(valid.length()), "bad_cursor"),
        new Case("one character changed", valid.substring(0, 10) + flipped + valid.substring(11), "cursor_refused"),
        new Case("forged with another key", new StreamCursors(otherKey).encode(UInt128.parse(mine), now),
            "cursor_refused"),
        new Case("another account of the same user", ours.encode(UInt128.parse(other), now), "cursor_refused"),
        new Case("another user's account", ours.encode(UInt128.parse(theirs), now), "cursor_refused"),
        new Case("issued longer ago than the resume window", ours.encode(UInt128.parse(mine), now,
            Instant.now().minus(Duration.ofHours(25)).toEpochMilli()), "cursor_expired"));
    StreamClient c = open(user);
    for (Case k : cases) {
      c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(mine))
          .put("after", k.after()));
      JsonObject f = c.next();
      assertThat(f.getString("type")).as(k.name()).isEqualTo("error");
      assertThat(f.getString("code")).as(k.name()).isEqualTo(k.code());
      assertThat(f.encode()).as("%s: the cursor is not echoed", k.name()).doesNotContain("AAAAAAAAAAAAAAAAAAAA");
    }
    // Another user's own cursor on their own account: the ownership check answers as for any foreign account.
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(theirs))
        .put("after", ours.encode(UInt128.parse(theirs), now)));
    assertThat(c.next().getString("code")).isEqualTo("not_found");
    // after resumes one account only.
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(mine).add(other))
        .put("after", valid));
    assertThat(c.next().getString("code")).isEqualTo("bad_message");
    // Messages are read as strictly as the HTTP API's bodies: no member twice, no unknown one, canonical ids.
    for (String raw : List.of("{\"type\":\"subscribe\",\"type\":\"unsubscribe\",\"accounts\":[\"" + mine + "\"]}",
        "{\"type\":\"subscribe\",\"accounts\":[\"" + mine + "\"],\"extra\":1}")) {
      c.socket.writeTextMessage(raw).await();
      assertThat(c.next().getString("code")).as(raw).isEqualTo("bad_message");
    }
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add("0" + mine)));
    JsonObject leadingZero = c.next();
    assertThat(leadingZero.getString("code")).isEqualTo("bad_account");
    assertThat(leadingZero.getString("message")).contains("leading zeros");
    c.send(new JsonObject().put("type", "unsubscribe").put("accounts", new JsonArray().add("01001")));
    assertThat(c.next().getString("code")).isEqualTo("bad_account");
    assertThat(c.next().getJsonArray("accounts")).isEmpty();

    // Nothing was subscribed by any of them, and the connection still works: a valid cursor resumes.
    c.send(new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(mine)).put("after", valid));
    JsonObject ok = c.next();
    assertThat(ok.getString("type")).as(ok.encode()).isEqualTo("subscribed");
    assertThat(ok.getJsonArray("accounts")).containsExactly(mine);
    String id = created(post(web, user, "/v1/transfers", transfer(mine, other)));
    JsonObject tf = c.next();
    assertThat(tf.getString("type")).isEqualTo("transfer");
    assertThat(tf.getJsonObject("transfer").getString("id")).isEqualTo(id);
    assertThat(ours.decode(tf.getString("cursor")).account()).isEqualTo(UInt128.parse(mine));
    c.socket.close().await();
  }

  @Test
  void aRepublishedBatchIsNotStreamedTwice(Tokens tokens, WebClient web, Node ledgerNode) throws Exception {
    String user = tokens.issue("dup-" + UUID.randomUUID(), Role.USER);
    String from = account(web, user);
    String to = account(web, user);
    StreamClient c = open(user);
    assertThat(c.subscribe(to, null).getString("type")).isEqualTo("subscribed");
    String first = created(post(web, user, "/v1/transfers", transfer(from, to)));
    assertThat(c.next().getJsonObject("transfer").getString("id")).isEqualTo(first);
    assertThat(c.next().getString("type")).isEqualTo("balance");

    // What a publisher restarted after a crash does (at least once): the same committed batch again.
    List<Transfer> again = new LedgerClient(ledgerNode.vertx(), Duration.ofSeconds(10))
        .lookupTransfers(List.of(UInt128.parse(first))).await();
    ledgerNode.vertx().eventBus().publish(LedgerApi.TRANSFERS_COMMITTED, new TransfersCommitted(again, List.of()));
    String second = created(post(web, user, "/v1/transfers", transfer(from, to)));
    JsonObject next = c.next();
    assertThat(next.getString("type")).isEqualTo("transfer");
    assertThat(next.getJsonObject("transfer").getString("id")).as("the repeated one is dropped").isEqualTo(second);
    c.socket.close().await();
  }

  // ---- helpers ----

  static String transfer(String debit, String credit) {
    return "{\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit
        + "\",\"amount\":\"1\",\"ledger\":1,\"code\":1}";
  }

  static Future<HttpResponse<Buffer>> send(WebClient web, int port, String token, String path, String body) {
    return web.post(port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", UUID.randomUUID().toString()).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(body));
  }

  static HttpResponse<Buffer> post(WebClient web, int port, String token, String path, String body) {
    return send(web, port, token, path, body).await();
  }

  private static Future<HttpResponse<Buffer>> send(WebClient web, String token, String path, String body) {
    return send(web, node.gatewayPort(), token, path, body);
  }

  private static HttpResponse<Buffer> post(WebClient web, String token, String path, String body) {
    return post(web, node.gatewayPort(), token, path, body);
  }

  static String created(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("id");
  }

  private static String account(WebClient web, String token) {
    return created(post(web, token, "/v1/accounts", "{\"ledger\":1,\"code\":1}"));
  }

  private static StreamClient open(String token) {
    return open(node.client(), node.gatewayPort(), token);
  }

  static StreamClient open(io.vertx.core.Vertx client, int port, String token) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/v1/stream").addHeader("Authorization", "Bearer " + token).setAllowOriginHeader(false);
    return new StreamClient(client.createWebSocketClient().connect(o).await());
  }

  /** A stream client that collects frames. */
  static final class StreamClient {
    final WebSocket socket;
    final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();

    StreamClient(WebSocket socket) {
      this.socket = socket;
      socket.textMessageHandler(t -> frames.add(new JsonObject(t)));
    }

    JsonObject next() throws InterruptedException {
      JsonObject f = frames.poll(30, TimeUnit.SECONDS);
      assertThat(f).as("a frame within 30 s").isNotNull();
      return f;
    }

    void send(JsonObject message) {
      socket.writeTextMessage(message.encode()).await();
    }

    JsonObject subscribe(String account, String after) throws InterruptedException {
      JsonObject m = new JsonObject().put("type", "subscribe").put("accounts", new JsonArray().add(account));
      if (after != null) {
        m.put("after", after);
      }
      send(m);
      return next();
    }
  }
}
