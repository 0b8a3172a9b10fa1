package dev.ledgerline.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.testing.LogCapture;
import dev.ledgerline.testing.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class UnhandledExceptionsTest {
  private static final String POOL_REQUEST = "io.vertx.sqlclient.impl.pool.SqlConnectionPool$1PoolRequest";

  @RegisterExtension
  final LogCapture logs = LogCapture.of(UnhandledExceptions.class);

  /** What the pool's timer throws: failing a completed promise, from the request's onEnqueue timer lambda. */
  private static IllegalStateException poolRace() {
    IllegalStateException e = new IllegalStateException("Promise already completed");
    e.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 110),
        new StackTraceElement(POOL_REQUEST, "lambda$onEnqueue$1", "SqlConnectionPool.java", 304),
        new StackTraceElement("io.vertx.core.impl.VertxImpl$InternalTimerHandler", "handle", "VertxImpl.java", 1023)});
    return e;
  }

  @Test
  void theSqlPoolTimerRaceIsCountedAndWarnedOnceWithoutAStack() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    UnhandledExceptions handler = new UnhandledExceptions(meters);

    handler.handle(poolRace());
    handler.handle(poolRace());
    handler.handle(poolRace());

    assertThat(meters.get(UnhandledExceptions.POOL_RACE_METRIC).counter().count()).isEqualTo(3.0);
    assertThat(logs.levels()).containsExactly(Level.WARN);
    assertThat(logs.events().get(0).getThrowableProxy()).isNull();
  }

  @Test
  void anythingElseIsAnErrorWithItsStack() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    UnhandledExceptions handler = new UnhandledExceptions(meters);
    // The same message from anywhere but the pool's timer is a real defect.
    IllegalStateException elsewhere = new IllegalStateException("Promise already completed");
    RuntimeException other = new RuntimeException("boom");

    // A promise completed twice by a listener of the request the timer failed: the pool's frames are below it.
    IllegalStateException underTheTimer = new IllegalStateException("Promise already completed");
    StackTraceElement[] race = poolRace().getStackTrace();
    StackTraceElement[] deeper = new StackTraceElement[race.length + 2];
    deeper[0] = new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 110);
    deeper[1] = new StackTraceElement("dev.ledgerline.SomeListener", "onFailure", "SomeListener.java", 1);
    System.arraycopy(race, 0, deeper, 2, race.length);
    underTheTimer.setStackTrace(deeper);
    IllegalStateException withCause = poolRace();
    withCause.initCause(new RuntimeException("inner"));

    handler.handle(elsewhere);
    handler.handle(other);
    handler.handle(underTheTimer);
    handler.handle(withCause);

    assertThat(meters.get(UnhandledExceptions.POOL_RACE_METRIC).counter().count()).isZero();
    assertThat(logs.levels()).containsExactly(Level.ERROR, Level.ERROR, Level.ERROR, Level.ERROR);
    assertThat(logs.events().get(1).getThrowableProxy().getMessage()).isEqualTo("boom");
  }

  @Test
  void theSignatureNamesTheClientVersionInUse() throws Exception {
    // An upgrade of the client that renames the pool request fails here: look at the race and the special case again.
    Class<?> request = Class.forName(POOL_REQUEST);
    assertThat(Arrays.stream(request.getDeclaredMethods()).map(Method::getName))
        .anyMatch(name -> name.startsWith("lambda$onEnqueue"));
    assertThat(UnhandledExceptions.isPoolTimerRace(poolRace())).isTrue();
  }

  @Test
  void aNodesVertxReportsWhatNoContextHandledThroughIt() throws Exception {
    var cfg = ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), Map.of())).current();
    NodeVertx.Built built = NodeVertx.build(cfg, "unhandled-test").toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    try {
      assertThat(built.vertx().exceptionHandler()).isInstanceOf(UnhandledExceptions.class);
      built.vertx().runOnContext(v -> {
        throw poolRace();
      });
      Poll.until(Duration.ofSeconds(10), "the exception reached the handler", () -> !logs.events().isEmpty());
      assertThat(logs.levels()).containsExactly(Level.WARN);
      assertThat(built.meters().get(UnhandledExceptions.POOL_RACE_METRIC).counter().count()).isEqualTo(1.0);
    } finally {
      built.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
