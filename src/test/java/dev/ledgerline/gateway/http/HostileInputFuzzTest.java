package dev.ledgerline.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.http.RawHttp.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.users.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A seeded generator of mutated requests (methods, paths, headers, bodies with NULs, huge numbers, truncated JSON,
 * wrong content types, bad tokens, broken framing) against a real node: no answer is a 5xx, none hangs (each is
 * answered within the deadline or the connection is closed cleanly), every 4xx is problem+json, and the ledger holds
 * no transfer that the gateway did not accept. The seed is {@code -Dfuzz.seed=N} (printed on failure); the count
 * {@code -Dfuzz.requests=N}.
 */
class HostileInputFuzzTest {
  private static final int DEADLINE_MS = 15_000;
  private static final long SEED = Long.getLong("fuzz.seed", 19L);
  private static final int REQUESTS = Integer.getInteger("fuzz.requests", 2500);
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().set("gateway.instances", "2")
      .set("gateway.connection.header-timeout", "1s").set("gateway.connection.body-timeout", "1s")
      .rateLimits("{\"default\":{\"capacity\":1000000,\"refill-per-second\":1000000}}").build();
  private static String token;
  private static String accountA;
  private static String accountB;

  @BeforeAll
  static void start() throws Exception {
    token = node.tokens().issue("fuzz-owner", Duration.ofMinutes(30), Role.USER);
    accountA = createAccount();
    accountB = createAccount();
  }

  private static String createAccount() throws Exception {
    Answer a = send(request("POST", "/v1/accounts", headers(token, "application/json", UUID.randomUUID().toString()),
        "{\"ledger\":1,\"code\":1}".getBytes(StandardCharsets.UTF_8)));
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    return new JsonObject(a.body()).getString("id");
  }

  @Test
  void mutatedRequestsNeverGet5xxNeverHangAndRefusedOnesChangeNothing() throws Exception {
    Set<String> accepted = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<String> failures = new ArrayList<>();
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < REQUESTS; i++) {
        long caseSeed = SEED * 1_000_003L + i;
        results.add(pool.submit(() -> runCase(caseSeed, accepted)));
      }
      for (Future<String> f : results) {
        String failure = f.get();
        if (failure != null) {
          failures.add(failure);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(failures).as("seed " + SEED + ": cases that got a 5xx, hung or broke the problem format").isEmpty();
    Set<String> inLedger = new HashSet<>();
    inLedger.addAll(transfersOf(accountA));
    inLedger.addAll(transfersOf(accountB));
    assertThat(accepted).as("some mutated transfers must still be valid, or the check below proves nothing")
        .isNotEmpty();
    assertThat(inLedger).as("seed " + SEED + ": every transfer in the ledger was accepted by the gateway")
        .isSubsetOf(accepted);
  }

  /** Null when the case passed, else what went wrong (with the case's seed, to replay it). */
  private static String runCase(long caseSeed, Set<String> accepted) throws Exception {
    Random rnd = new Random(caseSeed);
    Mutant m = mutant(rnd);
    Answer a = send(m.bytes());
    String what = "case " + caseSeed + " (" + m.description() + ")";
    if (a.hung()) {
      return what + ": no answer within " + DEADLINE_MS + " ms";
    }
    if (a.closedWithoutAnswer()) {
      return null;
    }
    if (a.status() >= 500) {
      return what + ": " + a;
    }
    if (a.status() >= 400 && !a.problemJson()) {
      return what + ": a " + a.status() + " that is not problem+json: " + a;
    }
    if (m.path().startsWith("/v1/transfers") && m.method().equals("POST") && a.status() < 300) {
      JsonObject body = new JsonObject(a.body());
      if (body.containsKey("results")) {
        for (Object r : body.getJsonArray("results")) {
          JsonObject o = (JsonObject) r;
          if ("ok".equals(o.getString("result")) || "exists".equals(o.getString("result"))) {
            accepted.add(o.getString("id"));
          }
        }
      } else if (body.containsKey("id")) {
        accepted.add(body.getString("id"));
      }
    }
    return null;
  }

  private static List<String> transfersOf(String account) throws Exception {
    List<String> ids = new ArrayList<>();
    String cursor = null;
    do {
      Answer a = send(request("GET", "/v1/accounts/" + account + "/transfers?limit=1000"
          + (cursor == null ? "" : "&cursor=" + cursor), headers(token, null, null), new byte[0]));
      assertThat(a.status()).as(a.toString()).isEqualTo(200);
      JsonObject page = new JsonObject(a.body());
      for (Object t : page.getJsonArray("transfers", new JsonArray())) {
        ids.add(((JsonObject) t).getString("id"));
      }
      cursor = page.getBoolean("has_more", false) ? page.getString("next_cursor") : null;
    } while (cursor != null);
    return ids;
  }

  private record Mutant(String method, String path, byte[] bytes, String description) {}

  private static Mutant mutant(Random rnd) {
    String method = "POST";
    String path;
    String body;
    switch (rnd.nextInt(5)) {
      case 0 -> {
        path = "/v1/transfers";
        body = transfer(rnd);
      }
      case 1 -> {
        path = "/v1/transfers/batch";
        body = "{\"transfers\":[" + transfer(rnd) + "," + transfer(rnd) + "]}";
      }
      case 2 -> {
        path = "/v1/accounts";
        body = "{\"ledger\":1,\"code\":1}";
      }
      case 3 -> {
        method = "GET";
        path = "/v1/accounts/" + accountA + "/transfers?limit=" + (1 + rnd.nextInt(5));
        body = "";
      }
      default -> {
        method = "GET";
        path = "/v1/accounts/" + (rnd.nextBoolean() ? accountA : accountB);
        body = "";
      }
    }
    Map<String, String> headers = headers(token, method.equals("POST") ? "application/json" : null,
        method.equals("POST") ? UUID.nameUUIDFromBytes(longBytes(rnd.nextLong())).toString() : null);
    byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
    List<String> applied = new ArrayList<>();
    boolean chunkedBroken = false;
    Integer contentLength = null;
    int mutations = 1 + rnd.nextInt(3);
    for (int k = 0; k < mutations; k++) {
      int kind = rnd.nextInt(16);
      applied.add(String.valueOf(kind));
      switch (kind) {
        case 0 -> method = pick(rnd, "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "post");
        case 1 -> path = path + pick(rnd, "%zz", "%00", "/%E0%A4%A", "/..", "/" + "9".repeat(2000), "?cursor=%",
            "?limit=-1", "?limit=99999999999999999999", "/\u00e9", "?access_token=%ZZ", "//x", "?a=%2");
        case 2 -> headers.put("Content-Type", pick(rnd, "text/plain", "multipart/form-data; boundary=x",
            "application/json; charset=latin1", "application/x-www-form-urlencoded", "", "application/jsonx"));
        case 3 -> headers.remove("Authorization");
        case 4 -> headers.put("Authorization", "Bearer " + badToken(rnd));
        case 5 -> headers.put("Idempotency-Key", pick(rnd, "k\u0000y", "k".repeat(300), "\u00e9t\u00e9", " ",
            "\u0001"));
        case 6 -> bodyBytes = java.util.Arrays.copyOf(bodyBytes, bodyBytes.length == 0 ? 0
            : rnd.nextInt(bodyBytes.length));
        case 7 -> bodyBytes = insert(bodyBytes, rnd, new byte[] {0});
        case 8 -> bodyBytes = new String(bodyBytes, StandardCharsets.UTF_8).replace("\"1\"", pick(rnd, "1e400",
            "\"99999999999999999999999999999999999999999\"", "-1", "\"-0\"", "1.5", "null", "\"\u0661\"",
            "\"340282366920938463463374607431768211456\"")).getBytes(StandardCharsets.UTF_8);
        case 9 -> bodyBytes = insert(bodyBytes, rnd, "\"amount\":\"1\",".getBytes(StandardCharsets.UTF_8));
        case 10 -> {
          if (bodyBytes.length > 0) {
            bodyBytes = bodyBytes.clone();
            bodyBytes[rnd.nextInt(bodyBytes.length)] = (byte) rnd.nextInt(256);
          }
        }
        case 11 -> bodyBytes = ("[".repeat(3000) + "]".repeat(3000)).getBytes(StandardCharsets.UTF_8);
        case 12 -> bodyBytes = insert(bodyBytes, rnd, new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
        case 13 -> headers.put("Expect", pick(rnd, "100-continue", "200-ok"));
        case 14 -> chunkedBroken = true;
        default -> contentLength = bodyBytes.length + pick(rnd, -3, 5, 1_000_000_000);
      }
    }
    String description = method + " " + (path.length() > 60 ? path.substring(0, 60) + "..." : path)
        + " mutations " + applied;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder(method + " " + path
        + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    if (chunkedBroken) {
      head.append("Transfer-Encoding: chunked\r\n\r\n");
      out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
      out.writeBytes((pick(rnd, "zz", "-1", "fffffffffffffffff", Integer.toHexString(bodyBytes.length + 7)) + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(bodyBytes);
      out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    } else {
      int length = contentLength != null && contentLength >= 0 ? contentLength : bodyBytes.length;
      if (bodyBytes.length > 0 || method.equals("POST") || contentLength != null) {
        head.append("Content-Length: ").append(length).append("\r\n");
      }
      head.append("\r\n");
      out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
      out.writeBytes(bodyBytes);
    }
    return new Mutant(method, path, out.toByteArray(), description);
  }

  private static String transfer(Random rnd) {
    return "{\"debit_account_id\":\"" + accountA + "\",\"credit_account_id\":\"" + accountB + "\",\"amount\":\"1\","
        + "\"ledger\":1,\"code\":1}";
  }

  private static String badToken(Random rnd) {
    String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes(
        StandardCharsets.UTF_8)) + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
        "{\"sub\":\"fuzz-owner\",\"exp\":99999999999,\"iat\":\"x\",\"nbf\":\"yesterday\"}".getBytes(
            StandardCharsets.UTF_8)) + ".";
    return pick(rnd, "garbage", "a.b.c", none, token.substring(0, token.length() / 2), token + "x",
        node.tokens().issue("fuzz\u0000owner", Duration.ofMinutes(5), Role.USER),
        node.tokens().issue("fuzz\uD800owner", Duration.ofMinutes(5), Role.USER),
        node.tokens().issue("x".repeat(600), Duration.ofMinutes(5), Role.USER));
  }

  @SafeVarargs
  private static <T> T pick(Random rnd, T... options) {
    return options[rnd.nextInt(options.length)];
  }

  private static byte[] insert(byte[] into, Random rnd, byte[] what) {
    int at = into.length == 0 ? 0 : rnd.nextInt(into.length + 1);
    byte[] out = new byte[into.length + what.length];
    System.arraycopy(into, 0, out, 0, at);
    System.arraycopy(what, 0, out, at, what.length);
    System.arraycopy(into, at, out, at + what.length, into.length - at);
    return out;
  }

  private static byte[] longBytes(long v) {
    return java.nio.ByteBuffer.allocate(8).putLong(v).array();
  }

  private static Map<String, String> headers(String bearer, String contentType, String key) {
    Map<String, String> h = new java.util.LinkedHashMap<>();
    if (bearer != null) {
      h.put("Authorization", "Bearer " + bearer);
    }
    if (contentType != null) {
      h.put("Content-Type", contentType);
    }
    if (key != null) {
      h.put("Idempotency-Key", key);
    }
    return h;
  }

  private static byte[] request(String method, String path, Map<String, String> headers, byte[] body) {
    StringBuilder head = new StringBuilder(method + " " + path
        + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static Answer send(byte[] bytes) throws Exception {
    try (RawHttp http = new RawHttp(node.gatewayPort(), DEADLINE_MS)) {
      try {
        http.send(bytes);
      } catch (java.io.IOException e) {
        // The server may close before reading everything (e.g. after answering 431); read what it said.
      }
      Answer a = http.read();
      while (a.status() == 100) {
        a = http.read();
      }
      return a;
    }
  }
}
