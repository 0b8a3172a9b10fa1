package dev.ledgerline.providers;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ledgerline.node.Node;
import dev.ledgerline.providers.BalanceReads.BalanceRead;
import dev.ledgerline.providers.PaymentProvider.TransferRequest;
import dev.ledgerline.providers.ProviderBreaker.State;
import dev.ledgerline.testing.Futures;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Row;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * The provider breaker against the node's embedded sandbox over real HTTP: an outage opens it after 5 failures;
 * while open, reads never reach the sandbox ({@code /sandbox/stats}) and are answered stale; after the reset timeout
 * it is half-open, 3 answers close it and one failure re-opens it; declines and other refusals never open it. Its
 * state shows in {@code /health/ready} (degraded, still UP), in the metrics and as {@code provider.breaker.changed}
 * events in the outbox.
 */
class ProviderBreakerTest {
  private static final Duration RESET = Duration.ofMillis(1000);

  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("transactions")
      .set("providers.breaker.reset-timeout", RESET.toMillis() + "ms")
      .set("providers.breaker.timeout", "1s").build();

  private static WebClient web;
  private static ListAppender<ILoggingEvent> log;
  private static final Set<String> secrets = ConcurrentHashMap.newKeySet();
  private Providers providers;

  @BeforeAll
  static void captureLogs() {
    log = new ListAppender<>();
    log.start();
    root().addAppender(log);
    secrets.add(dev.ledgerline.providers.sandbox.SandboxSettings.DEVELOPMENT_SECRET);
  }

  /** Tokens and the secret never reach a log line, whatever failed on the way. */
  @AfterAll
  static void noSecretInTheLogs() {
    root().detachAppender(log);
    assertThat(log.list).isNotEmpty();
    for (ILoggingEvent e : log.list) {
      String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
          : e.getThrowableProxy().getClassName() + e.getThrowableProxy().getMessage());
      for (String secret : secrets) {
        assertThat(line).doesNotContain(secret);
      }
    }
  }

  private static ch.qos.logback.classic.Logger root() {
    return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @BeforeEach
  void closedAndFaultFree(Node n) {
    providers = n.providers();
    web = node.web();
    fault(null);
    Poll.until(Duration.ofSeconds(10), "the breaker leaves open", () -> breaker().state() != State.OPEN);
    Poll.until(Duration.ofSeconds(10), "the breaker closes", () -> {
      providers.provider().institutions(1, 0, List.of("US")).toCompletionStage().toCompletableFuture()
          .handle((v, e) -> null).get();
      return breaker().state() == State.CLOSED;
    });
  }

  @Test
  void anOutageOpensTheBreakerWhichServesStaleAndCallsNobody() throws Throwable {
    String token = linkedItem();
    BalanceRead fresh = Futures.await(providers.balances().read("item-a", token));
    assertThat(fresh.stale()).isFalse();
    long eventsBefore = breakerEvents();

    fault(new JsonObject().put("endpoint", "/accounts/balance/get").put("mode", "outage").put("rate", 1.0));
    long before = calls("/accounts/balance/get");
    for (int i = 0; i < 5; i++) {
      assertThat(breaker().state()).isEqualTo(State.CLOSED);
      BalanceRead r = Futures.await(providers.balances().read("item-a", token));
      assertThat(r.stale()).as("a failing read falls back to the last good balances").isTrue();
    }
    assertThat(breaker().state()).isEqualTo(State.OPEN);
    assertThat(calls("/accounts/balance/get")).isEqualTo(before + 5);

    for (int i = 0; i < 20; i++) {
      BalanceRead r = Futures.await(providers.balances().read("item-a", token));
      assertThat(r.stale()).isTrue();
      assertThat(r.age()).isPositive();
      assertThat(r.accounts()).isEqualTo(fresh.accounts());
    }
    assertThat(calls("/accounts/balance/get")).as("an open breaker calls nobody").isEqualTo(before + 5);
    Throwable none = Futures.failureOf(providers.balances().read("item-never-read", token));
    assertThat(none).isInstanceOf(ProviderUnavailableException.class);
    assertThat(((ProviderUnavailableException) none).shortCircuited()).isTrue();
    assertThat(((ProviderUnavailableException) none).retryAfter()).isPositive();

    var ready = node.ready();
    assertThat(ready.getKey()).as("an open breaker degrades, never downs, the node").isEqualTo(200);
    JsonObject check = Health.check(ready.getValue(), "providers");
    assertThat(check.getString("status")).isEqualTo("UP");
    assertThat(check.getJsonObject("data").getBoolean("degraded")).isTrue();
    assertThat(check.getJsonObject("data").getJsonObject("plaid").getString("state")).isEqualTo("open");
    String metrics = web.get(node.managementPort(), "127.0.0.1", "/metrics").send().await().bodyAsString();
    assertThat(metrics).contains("ledgerline_provider_breaker_state{provider=\"plaid\"} 2.0");
    assertThat(metrics).contains("ledgerline_provider_calls_seconds_count{operation=\"balances\",provider=\"plaid\","
        + "result=\"short_circuited\"}");
    Poll.until(Duration.ofSeconds(10), "the change to open is in the outbox", () -> breakerEvents() > eventsBefore);
    JsonObject last = lastBreakerEvent();
    assertThat(last.getString("provider")).isEqualTo("plaid");
    assertThat(last.getString("from")).isEqualTo("closed");
    assertThat(last.getString("to")).isEqualTo("open");

    Poll.until(RESET.multipliedBy(10), "half-open after the reset timeout",
        () -> breaker().state() == State.HALF_OPEN);
    fault(null);
    for (int i = 1; i <= 3; i++) {
      assertThat(breaker().state()).as("before answer " + i).isEqualTo(State.HALF_OPEN);
      assertThat(Futures.await(providers.balances().read("item-a", token)).stale()).isFalse();
    }
    assertThat(breaker().state()).as("3 answers close it").isEqualTo(State.CLOSED);
    assertThat(calls("/accounts/balance/get")).isEqualTo(before + 8);
    Poll.until(Duration.ofSeconds(10), "open, half-open and closed are in the outbox",
        () -> breakerEvents() >= eventsBefore + 3);
  }

  @Test
  void oneFailureInHalfOpenReopens() throws Throwable {
    String token = linkedItem();
    fault(new JsonObject().put("endpoint", "/accounts/get").put("mode", "error").put("error_code",
        "INTERNAL_SERVER_ERROR"));
    openWith(() -> providers.provider().accounts(token));
    Poll.until(RESET.multipliedBy(10), "half-open", () -> breaker().state() == State.HALF_OPEN);
    Throwable probe = Futures.failureOf(providers.provider().accounts(token));
    assertThat(((ProviderException) probe).errorCode()).isEqualTo("INTERNAL_SERVER_ERROR");
    assertThat(breaker().state()).as("a failed probe re-opens").isEqualTo(State.OPEN);

    Poll.until(RESET.multipliedBy(10), "half-open again", () -> breaker().state() == State.HALF_OPEN);
    fault(null);
    Futures.await(providers.provider().accounts(token));
    Futures.await(providers.provider().accounts(token));
    assertThat(breaker().state()).isEqualTo(State.HALF_OPEN);
    fault(new JsonObject().put("endpoint", "/accounts/get").put("mode", "error").put("error_code",
        "RATE_LIMIT_EXCEEDED"));
    Throwable limited = Futures.failureOf(providers.provider().accounts(token));
    assertThat(((ProviderException) limited).httpStatus()).isEqualTo(429);
    assertThat(breaker().state()).as("a failure after 2 of 3 answers re-opens").isEqualTo(State.OPEN);
  }

  @Test
  void timeoutsCountAsFailures() throws Throwable {
    String token = linkedItem();
    fault(new JsonObject().put("endpoint", "/accounts/get").put("mode", "latency").put("latency_ms", 3000));
    List<Future<?>> calls = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      calls.add(providers.provider().accounts(token));
    }
    for (Future<?> f : calls) {
      Throwable e = Futures.failureOf(f);
      assertThat(((ProviderException) e).errorCode()).isEqualTo("TIMEOUT");
    }
    assertThat(breaker().state()).isEqualTo(State.OPEN);
  }

  @Test
  void declinesInvalidTokensAndOtherRefusalsNeverOpenIt() throws Throwable {
    String token = linkedItem();
    String account = Futures.await(providers.provider().accounts(token)).accounts().get(0).accountId();
    fault(new JsonObject().put("endpoint", "/transfer/authorization/create").put("mode", "decline"));
    for (int i = 0; i < 10; i++) {
      var a = Futures.await(providers.provider().authorizeTransfer(new TransferRequest(token, account, "debit", "ach",
          new BigDecimal("1.00"), "ppd", "Ada Lovelace", "decline-" + i)));
      assertThat(a.approved()).isFalse();
      assertThat(a.rationaleCode()).isEqualTo("NSF");
    }
    fault(new JsonObject().put("endpoint", "/transfer/create").put("mode", "decline"));
    fault(new JsonObject().put("endpoint", "/accounts/balance/get").put("mode", "decline"));
    for (int i = 0; i < 10; i++) {
      assertThat(Futures.failureOf(providers.provider().createTransfer(token, account, "no-such-auth", "payment",
          "pay-" + i))).isInstanceOf(ProviderRejectedException.class);
      assertThat(Futures.failureOf(providers.balances().read("item-d", token)))
          .isInstanceOf(InvalidProviderTokenException.class);
      assertThat(Futures.failureOf(providers.provider().accounts("access-sandbox-unknown")))
          .isInstanceOf(InvalidProviderTokenException.class);
      assertThat(Futures.failureOf(providers.provider().transfer("no-such-transfer")))
          .isInstanceOf(ProviderRejectedException.class);
    }
    assertThat(breaker().state()).isEqualTo(State.CLOSED);
  }

  private void openWith(java.util.function.Supplier<Future<?>> call) throws Exception {
    for (int i = 0; i < 5; i++) {
      Throwable e = Futures.failureOf(call.get());
      assertThat(((ProviderException) e).unhealthy()).isTrue();
    }
    assertThat(breaker().state()).isEqualTo(State.OPEN);
  }

  private ProviderBreaker breaker() {
    return providers.breaker();
  }

  private String linkedItem() throws Throwable {
    String publicToken = Futures.await(providers.plaid().sandboxPublicToken("ins_109508", List.of("transfer")));
    secrets.add(publicToken);
    String token = Futures.await(providers.provider().exchangePublicToken(publicToken)).accessToken();
    secrets.add(token);
    return token;
  }

  private void fault(JsonObject fault) {
    String url = providers.baseUrl() + "/sandbox/faults";
    int status = fault == null ? web.deleteAbs(url).send().await().statusCode()
        : web.postAbs(url).sendJsonObject(fault).await().statusCode();
    assertThat(status).isEqualTo(200);
  }

  private long calls(String endpoint) {
    return web.getAbs(providers.baseUrl() + "/sandbox/stats").send().await().bodyAsJsonObject()
        .getJsonObject("calls").getLong(endpoint, 0L);
  }

  private long breakerEvents() {
    return node.get().services().pool().preparedQuery("SELECT count(*) FROM events_outbox WHERE event_type = $1")
        .execute(io.vertx.sqlclient.Tuple.of(BreakerEvents.TYPE)).await().iterator().next().getLong(0);
  }

  private JsonObject lastBreakerEvent() {
    Row r = node.get().services().pool().preparedQuery("SELECT payload FROM events_outbox WHERE event_type = $1"
            + " ORDER BY position DESC LIMIT 1").execute(io.vertx.sqlclient.Tuple.of(BreakerEvents.TYPE)).await()
        .iterator().next();
    Object payload = r.getValue(0);
    return payload instanceof JsonObject j ? j : new JsonObject(String.valueOf(payload));
  }
}
