package dev.ledgerline.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.testing.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class UnhandledExceptionsTest {
  private static final String POOL_REQUEST = "io.vertx.sqlclient.impl.pool.SqlConnectionPool$1PoolRequest";

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger log = (Logger) LoggerFactory.getLogger(UnhandledExceptions.class);

  @BeforeEach
  void capture() {
    logs.start();
    log.addAppender(logs);
  }

  @AfterEach
  void release() {
    log.detachAppender(logs);
  }

  /** What the pool's timer throws: failing a completed promise, from the request's onEnqueue timer lambda. */
  private static IllegalStateException poolRace() {
    IllegalStateException e = new IllegalStateException("Promise already completed");
    e.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 110),
        new StackTraceElement(POOL_REQUEST, "lambda$onEnqueue$1", "SqlConnectionPool.java", 304),
        new StackTraceElement("io.vertx.core.impl.VertxImpl$InternalTimerHandler", "handle", "VertxImpl.java", 1023)});
    return e;
  }

  private List<Level> levels() {
    return logs.list.stream().map(ILoggingEvent::getLevel).toList();
  }

  @Test
  void theSqlPoolTimerRaceIsCountedAndWarnedOnceWithoutAStack() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    UnhandledExceptions handler = new UnhandledExceptions(meters);

    handler.handle(poolRace());
    handler.handle(poolRace());
    handler.handle(poolRace());

    assertThat(meters.get(UnhandledExceptions.POOL_RACE_METRIC).counter().count()).isEqualTo(3.0);
    assertThat(levels()).containsExactly(Level.WARN);
    assertThat(logs.list.get(0).getThrowableProxy()).isNull();
  }

  @Test
  void anythingElseIsAnErrorWithItsStack() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    UnhandledExceptions handler = new UnhandledExceptions(meters);
    // The same message from anywhere but the pool's timer is a real defect.
    IllegalStateException elsewhere = new IllegalStateException("Promise already completed");
    RuntimeException other = new RuntimeException("boom");

    handler.handle(elsewhere);
    handler.handle(other);

    assertThat(meters.get(UnhandledExceptions.POOL_RACE_METRIC).counter().count()).isZero();
    assertThat(levels()).containsExactly(Level.ERROR, Level.ERROR);
    assertThat(logs.list.get(1).getThrowableProxy().getMessage()).isEqualTo("boom");
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
      Poll.until(Duration.ofSeconds(10), "the exception reached the handler", () -> !logs.list.isEmpty());
      assertThat(levels()).containsExactly(Level.WARN);
      assertThat(built.meters().get(UnhandledExceptions.POOL_RACE_METRIC).counter().count()).isEqualTo(1.0);
    } finally {
      built.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
