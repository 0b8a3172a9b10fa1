package dev.ledgerline.providers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.providers.ProviderBreaker.State;
import dev.ledgerline.testing.Futures;
import dev.ledgerline.testing.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The breaker's rules without HTTP: what counts, the half-open answer count, and the changes it reports. */
class ProviderBreakerRulesTest {
  private static final Supplier<Future<String>> DOWN = () -> Future.failedFuture(new ProviderUnavailableException(
      "p", "API_ERROR", "INTERNAL_SERVER_ERROR", "down", 500, "", Duration.ofSeconds(1), false));
  private static final Supplier<Future<String>> REFUSED = () -> Future.failedFuture(new ProviderRejectedException(
      "p", "INVALID_REQUEST", "INVALID_FIELD", "bad", 400, ""));
  private static final Supplier<Future<String>> UP = () -> Future.succeededFuture("ok");

  private Vertx vertx;
  private final List<String> changes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private ProviderBreaker breaker(int halfOpenSuccesses) {
    return new ProviderBreaker(vertx, "p", new ProviderBreaker.Settings(5, Duration.ofMillis(200), halfOpenSuccesses,
        Duration.ofSeconds(5)), new SimpleMeterRegistry(), c -> changes.add(c.from().id() + ">" + c.to().id()));
  }

  @Test
  void refusalsNeverCountAndAnAnswerResetsTheCount() throws Exception {
    ProviderBreaker b = breaker(3);
    for (int i = 0; i < 50; i++) {
      Futures.failureOf(b.call("op", REFUSED));
    }
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 4; i++) {
        Futures.failureOf(b.call("op", DOWN));
      }
      Futures.failureOf(b.call("op", REFUSED));
    }
    assertThat(b.state()).isEqualTo(State.CLOSED);
    Futures.failureOf(b.call("op", () -> {
      throw new NullPointerException("an unreadable answer");
    }));
    for (int i = 0; i < 4; i++) {
      Futures.failureOf(b.call("op", DOWN));
    }
    assertThat(b.state()).as("anything that is not the provider answering counts").isEqualTo(State.OPEN);
  }

  @Test
  void theHalfOpenAnswerCountIsConfigurableAndEveryChangeIsReported() throws Throwable {
    ProviderBreaker b = breaker(1);
    for (int i = 0; i < 5; i++) {
      Futures.failureOf(b.call("op", DOWN));
    }
    Throwable refused = Futures.failureOf(b.call("op", UP));
    assertThat(((ProviderUnavailableException) refused).shortCircuited()).isTrue();
    Poll.until(Duration.ofSeconds(5), "half-open", () -> b.state() == State.HALF_OPEN);
    assertThat(Futures.await(b.call("op", UP))).isEqualTo("ok");
    assertThat(b.state()).isEqualTo(State.CLOSED);
    assertThat(changes).containsExactly("closed>open", "open>half-open", "half-open>closed");

    ProviderBreaker three = breaker(3);
    changes.clear();
    for (int i = 0; i < 5; i++) {
      Futures.failureOf(three.call("op", DOWN));
    }
    Poll.until(Duration.ofSeconds(5), "half-open", () -> three.state() == State.HALF_OPEN);
    Futures.failureOf(three.call("op", REFUSED));
    Futures.await(three.call("op", UP));
    assertThat(three.state()).isEqualTo(State.HALF_OPEN);
    Futures.await(three.call("op", UP));
    assertThat(three.state()).as("a refusal is an answer too").isEqualTo(State.CLOSED);
    assertThat(changes).containsExactly("closed>open", "open>half-open", "half-open>closed");
  }
}
