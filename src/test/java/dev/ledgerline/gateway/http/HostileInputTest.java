package dev.ledgerline.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ledgerline.gateway.http.RawHttp.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.users.Role;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Hostile input at the HTTP and WebSocket edge of a real node (embedded PostgreSQL and Redis), over raw sockets: every
 * case gets a precise 4xx problem+json or a clean close, never a 5xx or a hang, and no ERROR is logged for it.
 */
class HostileInputTest {
  /** Far above any limit below: a read that waits this long is a hang. */
  private static final int DEADLINE_MS = 15_000;
  private static final int MAX_PER_ADDRESS = 64;
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().set("gateway.instances", "2")
      .set("gateway.connection.header-timeout", "1s").set("gateway.connection.body-timeout", "3s")
      .set("gateway.connection.idle-timeout", "20s")
      .set("gateway.connection.max-per-address", String.valueOf(MAX_PER_ADDRESS))
      .rateLimits("{\"default\":{\"capacity\":1000000,\"refill-per-second\":1000000}}").build();
  private static String token;
  private static ListAppender<ILoggingEvent> log;

  @BeforeAll
  static void start() {
    token = token("hostile-alice");
    log = new ListAppender<>();
    log.start();
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
  }

  @AfterAll
  static void stop() {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
  }

  static String token(String sub) {
    return node.tokens().issue(sub, Duration.ofMinutes(30), Role.USER);
  }

  private static String post(String path, String bearer, String headers, String body) {
    return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + bearer
        + "\r\nContent-Type: application/json\r\nIdempotency-Key: " + UUID.randomUUID() + "\r\n" + headers
        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
  }

  private static Answer exchange(String request) throws IOException {
    try (RawHttp http = new RawHttp(node.gatewayPort(), DEADLINE_MS)) {
      http.send(request);
      Answer a = http.read();
      while (a.status() == 100) {
        a = http.read();
      }
      return a;
    }
  }

  /** One hostile request and the answer it must get. */
  record Case(String name, String request, int status) {}

  @Test
  void everyHostileRequestGetsAPreciseProblemAndNoErrorIsLogged() throws Exception {
    String nulSubject = token("mallory\u0000x");
    List<Case> cases = List.of(
        new Case("empty body on POST /v1/transfers", post("/v1/transfers", token, "", ""), 400),
        new Case("empty body on POST /v1/transfers/batch", post("/v1/transfers/batch", token, "", ""), 400),
        new Case("empty body on POST /v1/accounts", post("/v1/accounts", token, "", ""), 400),
        new Case("NUL in the token's subject", post("/v1/accounts", nulSubject, "", "{\"ledger\":1,\"code\":1}"),
            401),
        new Case("bad %-escape in the query", "GET /v1/accounts?ledger=%zz HTTP/1.1\r\nHost: x\r\nAuthorization: "
            + "Bearer " + token + "\r\n\r\n", 400),
        new Case("bad %-escape without a token", "GET /v1/accounts/1?access_token=%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n",
            400),
        new Case("request line over 4096 bytes",
            "GET /v1/accounts/" + "1".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        new Case("header section over 8192 bytes", "GET /v1/accounts/1 HTTP/1.1\r\nHost: x\r\nX-Pad: "
            + "a".repeat(9000) + "\r\n\r\n", 431),
        new Case("not HTTP at all", "HELLO THERE\r\n\r\n", 400),
        new Case("malformed chunked body", "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
            + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
        new Case("stream handshake without a token", handshake("/v1/stream", null, null), 401),
        new Case("stream handshake from a foreign origin", handshake("/v1/stream", token, "https://evil.example"),
            403),
        new Case("stream handshake with a garbage token", handshake("/v1/stream", "a.b.c", null), 401));
    int errorsBefore = errors();
    for (Case c : cases) {
      Answer a = exchange(c.request());
      assertThat(a.status()).as(c.name() + ": " + a).isEqualTo(c.status());
      assertThat(a.problemJson()).as(c.name() + ": " + a).isTrue();
      assertThat(new JsonObject(a.body()).getInteger("status")).as(c.name()).isEqualTo(c.status());
    }
    assertThat(errors()).as("ERROR lines logged for client errors").isEqualTo(errorsBefore);
  }

  private static int errors() {
    return (int) List.copyOf(log.list).stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)).count();
  }

  private static String handshake(String path, String bearer, String origin) {
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(new byte[16]) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n" + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n")
        + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
  }

  @Test
  void concurrentExpectContinuePostsAreAllAnswered() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      List<Future<Answer>> answers = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        // Half wait for 100 Continue; the other half send the body at once, as a client whose wait ran out does, each
        // with a token the gateway has not verified yet (its verification is not a cache hit).
        boolean waits = i % 2 == 0;
        String bearer = waits ? token : token("expect-" + i);
        answers.add(pool.submit(() -> {
          try (RawHttp http = new RawHttp(node.gatewayPort(), DEADLINE_MS)) {
            String body = "{\"ledger\":1,\"code\":1}";
            String req = post("/v1/accounts", bearer, "Expect: 100-continue\r\n", body);
            if (!waits) {
              http.send(req);
              Answer a = http.read();
              return a.status() == 100 ? http.read() : a;
            }
            http.send(req.substring(0, req.length() - body.length()));
            Answer interim = http.read();
            if (interim.status() != 100) {
              return interim;
            }
            http.send(body);
            return http.read();
          }
        }));
      }
      for (Future<Answer> f : answers) {
        Answer a = f.get();
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aBodyThatStopsComingIsAnswered408AndClosed() throws Exception {
    try (RawHttp http = new RawHttp(node.gatewayPort(), DEADLINE_MS)) {
      String req = post("/v1/accounts", token, "", "{\"ledger\":1,\"code\":1}" + " ".repeat(100));
      http.send(req.substring(0, req.length() - 90));
      Answer a = http.read();
      assertThat(a.status()).as(a.toString()).isEqualTo(408);
      assertThat(a.problemJson()).isTrue();
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void slowlorisConnectionsAreClosedAndTheServerStillAnswers() throws Exception {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_PER_ADDRESS + 16; i++) {
        Socket s = new Socket("127.0.0.1", node.gatewayPort());
        s.getOutputStream().write("GET /v1/accounts/1 HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        sockets.add(s);
      }
      boolean[] closed = new boolean[sockets.size()];
      Instant deadline = Instant.now().plusMillis(DEADLINE_MS);
      int open = sockets.size();
      while (open > 0) {
        assertThat(Instant.now()).as(open + " slow connections still open").isBefore(deadline);
        open = 0;
        for (int i = 0; i < sockets.size(); i++) {
          if (closed[i]) {
            continue;
          }
          Socket s = sockets.get(i);
          try {
            s.getOutputStream().write('X'); // one more header byte: never idle, never complete
            s.setSoTimeout(5);
            closed[i] = s.getInputStream().read() < 0;
          } catch (java.net.SocketTimeoutException e) {
            closed[i] = false;
          } catch (IOException e) {
            closed[i] = true;
          }
          open += closed[i] ? 0 : 1;
        }
      }
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
    Answer after = exchange("GET /v1/accounts/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n");
    assertThat(after.status()).as(after.toString()).isEqualTo(404);
  }

  @Test
  void webSocketProtocolErrorsAreClosedWithTheirStatus() throws Exception {
    record Frame(String name, byte[] bytes, int closeStatus) {}
    byte[] invalidUtf8 = {(byte) 0xC3, (byte) 0x28};
    List<Frame> frames = List.of(
        new Frame("text frame with invalid UTF-8", frame(0x81, invalidUtf8, true), 1007),
        new Frame("invalid UTF-8 split across fragments", concat(frame(0x01, new byte[] {'{', (byte) 0xE2}, true),
            frame(0x80, new byte[] {(byte) 0x28, (byte) 0xA1}, true)), 1007),
        new Frame("unmasked client frame", frame(0x81, "{}".getBytes(StandardCharsets.UTF_8), false), 1002),
        new Frame("reserved bits set", frame(0xF1, "{}".getBytes(StandardCharsets.UTF_8), true), 1002),
        new Frame("frame above 64 KiB", frame(0x81, " ".repeat(70_000).getBytes(StandardCharsets.UTF_8), true), 1009),
        new Frame("message above 256 KiB in fragments", fragments(5, 60_000), 1009));
    for (Frame f : frames) {
      try (RawHttp http = new RawHttp(node.gatewayPort(), DEADLINE_MS)) {
        http.send(handshake("/v1/stream", token, null));
        assertThat(http.read().status()).as(f.name()).isEqualTo(101);
        http.send(f.bytes());
        assertThat(closeStatus(http)).as(f.name()).isEqualTo(f.closeStatus());
      }
    }
  }

  /** A valid fragmented message split at a multi-byte character still works (the check is streaming). */
  @Test
  void validUtf8SplitAcrossFragmentsIsAccepted() throws Exception {
    try (RawHttp http = new RawHttp(node.gatewayPort(), DEADLINE_MS)) {
      http.send(handshake("/v1/stream", token, null));
      assertThat(http.read().status()).isEqualTo(101);
      byte[] msg = "{\"type\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
      int split = 10; // inside the two bytes of é
      http.send(concat(frame(0x01, java.util.Arrays.copyOfRange(msg, 0, split), true),
          frame(0x80, java.util.Arrays.copyOfRange(msg, split, msg.length), true)));
      byte[] payload = nextFrame(http, 0x1);
      assertThat(new String(payload, StandardCharsets.UTF_8)).contains("bad_message");
    }
  }

  private static int closeStatus(RawHttp http) throws IOException {
    byte[] payload = nextFrame(http, 0x8);
    assertThat(payload).as("close frame").isNotNull();
    return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
  }

  /** The payload of the next frame with the opcode (pings skipped); null when the connection ends first. */
  private static byte[] nextFrame(RawHttp http, int opcode) throws IOException {
    var in = http.input();
    while (true) {
      int b0 = in.read();
      int b1 = in.read();
      if (b0 < 0 || b1 < 0) {
        return null;
      }
      long len = b1 & 0x7f;
      if (len == 126) {
        len = ((in.read() & 0xff) << 8) | (in.read() & 0xff);
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | (in.read() & 0xff);
        }
      }
      byte[] payload = in.readNBytes((int) len);
      if ((b0 & 0x0f) == opcode) {
        return payload;
      }
    }
  }

  private static byte[] frame(int first, byte[] payload, boolean masked) {
    byte[] mask = {1, 2, 3, 4};
    int lengthBytes = payload.length < 126 ? 0 : payload.length <= 0xffff ? 2 : 8;
    byte[] out = new byte[2 + lengthBytes + (masked ? 4 : 0) + payload.length];
    out[0] = (byte) first;
    out[1] = (byte) ((masked ? 0x80 : 0) | (lengthBytes == 0 ? payload.length : lengthBytes == 2 ? 126 : 127));
    for (int i = 0; i < lengthBytes; i++) {
      out[2 + i] = (byte) ((long) payload.length >>> (8 * (lengthBytes - 1 - i)));
    }
    int at = 2 + lengthBytes;
    if (masked) {
      System.arraycopy(mask, 0, out, at, 4);
      at += 4;
    }
    for (int i = 0; i < payload.length; i++) {
      out[at + i] = (byte) (masked ? payload[i] ^ mask[i % 4] : payload[i]);
    }
    return out;
  }

  /** A text message of {@code count} fragments of {@code size} spaces each. */
  private static byte[] fragments(int count, int size) {
    byte[] out = new byte[0];
    byte[] chunk = " ".repeat(size).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < count; i++) {
      int opcode = i == 0 ? 0x01 : 0x00;
      out = concat(out, frame((i == count - 1 ? 0x80 : 0) | opcode, chunk, true));
    }
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
