package dev.ledgerline.providers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.providers.PaymentProvider.TransferRequest;
import dev.ledgerline.providers.sandbox.PlaidSandbox;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import dev.ledgerline.testing.Futures;
import dev.ledgerline.testing.MutableClock;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real settlement webhook from the sandbox, through the product's verifier: it passes as sent, and each way of
 * tampering with it (body, signature, algorithm, key id, age, a missing header) is refused.
 */
class PlaidWebhookVerifierTest {
  private static Vertx vertx;
  private static PlaidSandbox sandbox;
  private static PlaidClient plaid;
  private static Map.Entry<String, Buffer> hook;

  @BeforeAll
  static void aSettledTransfersWebhook() throws Throwable {
    vertx = Vertx.vertx();
    ConcurrentLinkedQueue<Map.Entry<String, Buffer>> received = new ConcurrentLinkedQueue<>();
    HttpServer hooks = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(Map.entry(String.valueOf(req.getHeader("Plaid-Verification")), body));
      req.response().end();
    })).listen(0, "127.0.0.1").await();
    sandbox = PlaidSandbox.start(vertx, new SandboxSettings("127.0.0.1", 0, "id", "secret-value",
        Duration.ofMillis(100), "http://127.0.0.1:" + hooks.actualPort() + "/")).await();
    plaid = new PlaidClient(WebClient.create(vertx), sandbox.baseUrl(), "id", "secret-value", Duration.ofSeconds(5));
    String token = Futures.await(plaid.sandboxPublicToken("ins_109508", List.of("transfer"))
        .compose(plaid::exchangePublicToken)).accessToken();
    String account = Futures.await(plaid.accounts(token)).accounts().get(0).accountId();
    var auth = Futures.await(plaid.authorizeTransfer(new TransferRequest(token, account, "debit", "ach",
        new BigDecimal("1.00"), "ppd", "Ada Lovelace", "hook-1")));
    Futures.await(plaid.createTransfer(token, account, auth.id(), "payment", "hook-1"));
    Poll.until(Duration.ofSeconds(10), "the webhook arrives", () -> !received.isEmpty());
    hook = received.poll();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  private static PlaidWebhookVerifier verifier(Clock clock) {
    return new PlaidWebhookVerifier(plaid, clock, Duration.ofMinutes(5));
  }

  @Test
  void theWebhookAsSentVerifies() throws Throwable {
    Futures.await(verifier(Clock.systemUTC()).verify(hook.getKey(), hook.getValue()));
  }

  @Test
  void theWebhookPointsAtTransferEvents() throws Throwable {
    var first = Futures.await(plaid.transferEvents(0, 1));
    assertThat(first.events()).hasSize(1);
    assertThat(first.events().get(0).eventType()).isEqualTo("pending");
    assertThat(first.hasMore()).isTrue();
    var rest = Futures.await(plaid.transferEvents(first.events().get(0).eventId(), 100));
    assertThat(rest.events()).extracting(PaymentProvider.TransferEvent::eventType).containsExactly("settled");
    assertThat(rest.events().get(0).amount()).isEqualByComparingTo("1.00");
    assertThat(rest.hasMore()).isFalse();
  }

  @Test
  void everyTamperingIsRefused() throws Exception {
    PlaidWebhookVerifier v = verifier(Clock.systemUTC());
    String[] jwt = hook.getKey().split("\\.");
    Buffer body = hook.getValue();
    String reformatted = new JsonObject(body).encode();
    String otherAlg = b64(new JsonObject(new String(Base64.getUrlDecoder().decode(jwt[0]), StandardCharsets.UTF_8))
        .put("alg", "none").encode());
    String otherKid = b64(new JsonObject(new String(Base64.getUrlDecoder().decode(jwt[0]), StandardCharsets.UTF_8))
        .put("kid", "not-a-key").encode());
    byte[] sig = Base64.getUrlDecoder().decode(jwt[2]);
    sig[10] ^= 1;
    Map<String, Map.Entry<String, Buffer>> cases = Map.of(
        "body whitespace changed", Map.entry(hook.getKey(), Buffer.buffer(reformatted)),
        "missing header", Map.entry("", body),
        "not a JWT", Map.entry("abc", body),
        "alg none", Map.entry(otherAlg + "." + jwt[1] + ".", body),
        "alg none with a signature", Map.entry(otherAlg + "." + jwt[1] + "." + jwt[2], body),
        "unknown kid", Map.entry(otherKid + "." + jwt[1] + "." + jwt[2], body),
        "signature flipped", Map.entry(jwt[0] + "." + jwt[1] + "." + Base64.getUrlEncoder().withoutPadding()
            .encodeToString(sig), body),
        "claims swapped", Map.entry(jwt[0] + "." + b64(new JsonObject().put("iat", System.currentTimeMillis() / 1000)
            .put("request_body_sha256", "00").encode()) + "." + jwt[2], body));
    for (var c : cases.entrySet()) {
      assertThat(Futures.failureOf(v.verify(c.getValue().getKey(), c.getValue().getValue())))
          .as(c.getKey()).isInstanceOf(WebhookRejectedException.class);
    }
    assertThat(Futures.failureOf(v.verify(null, body))).isInstanceOf(WebhookRejectedException.class);
    assertThat(Futures.failureOf(verifier(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(6)))
        .verify(hook.getKey(), body))).as("too old").isInstanceOf(WebhookRejectedException.class);
    assertThat(Futures.failureOf(verifier(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-6)))
        .verify(hook.getKey(), body))).as("from the future").isInstanceOf(WebhookRejectedException.class);
  }

  /**
   * Webhooks naming invented key ids cannot make the node call Plaid at will: each unknown id is looked up once and
   * remembered, and ids not seen before are looked up a few at once, then one a second; beyond that, busy.
   */
  @Test
  void forgedKeyIdsCostAFewLookupsThenOneASecond() throws Throwable {
    MutableClock clock = new MutableClock(java.time.Instant.now());
    PlaidWebhookVerifier v = verifier(clock);
    String[] jwt = hook.getKey().split("\\.");
    java.util.function.Function<String, String> withKid = kid -> b64(new JsonObject(new String(
        Base64.getUrlDecoder().decode(jwt[0]), StandardCharsets.UTF_8)).put("kid", kid).encode()) + "." + jwt[1] + "."
        + jwt[2];
    for (int i = 0; i < PlaidWebhookVerifier.LOOKUP_BURST; i++) {
      assertThat(Futures.failureOf(v.verify(withKid.apply("invented-" + i), hook.getValue())))
          .isInstanceOf(WebhookRejectedException.class);
    }
    assertThat(Futures.failureOf(v.verify(withKid.apply("invented-next"), hook.getValue())))
        .isInstanceOf(WebhookBusyException.class);
    // One Plaid did not know is refused from memory, without a lookup.
    assertThat(Futures.failureOf(v.verify(withKid.apply("invented-0"), hook.getValue())))
        .isInstanceOf(WebhookRejectedException.class);
    clock.advance(Duration.ofSeconds(1));
    assertThat(Futures.failureOf(v.verify(withKid.apply("invented-next"), hook.getValue())))
        .isInstanceOf(WebhookRejectedException.class);
    assertThat(Futures.failureOf(v.verify(withKid.apply("invented-last"), hook.getValue())))
        .isInstanceOf(WebhookBusyException.class);
  }

  /**
   * On a worker: the check does not run in the caller (the future is still open while the worker is busy), and once
   * {@link PlaidWebhookVerifier#MAX_PENDING_CHECKS} wait, the next webhook is answered busy at once, doing no work.
   * Those that waited verify once the worker is free, and so does the next.
   */
  @Test
  void checksRunOnTheWorkerAndAFloodBeyondTheBoundIsAnsweredBusy() throws Throwable {
    WorkerExecutor worker = vertx.createSharedWorkerExecutor("webhook-checks-test", 1);
    PlaidWebhookVerifier v = new PlaidWebhookVerifier(plaid, Clock.systemUTC(), Duration.ofMinutes(5), worker);
    try {
      Futures.await(v.verify(hook.getKey(), hook.getValue()));
      CountDownLatch release = new CountDownLatch(1);
      Future<Object> blocker = worker.executeBlocking(() -> release.await(30, TimeUnit.SECONDS), false);
      List<Future<Void>> waiting = new ArrayList<>();
      for (int i = 0; i < PlaidWebhookVerifier.MAX_PENDING_CHECKS; i++) {
        waiting.add(v.verify(hook.getKey(), hook.getValue()));
      }
      Future<Void> flood = v.verify(hook.getKey(), hook.getValue());
      assertThat(flood.failed()).as("answered at once").isTrue();
      assertThat(flood.cause()).isInstanceOf(WebhookBusyException.class);
      assertThat(waiting).as("waiting for the busy worker").noneMatch(Future::isComplete);
      release.countDown();
      Futures.await(blocker);
      for (Future<Void> w : waiting) Futures.await(w);
      Futures.await(v.verify(hook.getKey(), hook.getValue()));
      assertThat(Futures.failureOf(v.verify(hook.getKey(), Buffer.buffer("{}"))))
          .as("a refusal on the worker is still a refusal").isInstanceOf(WebhookRejectedException.class);
    } finally {
      worker.close().await();
    }
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
