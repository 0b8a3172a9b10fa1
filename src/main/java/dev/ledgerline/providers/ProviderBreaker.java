package dev.ledgerline.providers;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One provider's circuit breaker: vertx-circuit-breaker counts failures, opens, times the reset and lets the first
 * half-open probe through; this class adds what the module lacks and what Ledgerline needs around it:
 * <ul>
 *   <li>only provider-health failures count ({@link ProviderException#unhealthy()}: timeouts, 5xx, 429, connection
 *       errors, and anything unreadable); a decline, an invalid token or another 4xx is the provider answering, which
 *       proves it healthy;</li>
 *   <li>{@code half-open-successes} answers in a row close it: Vert.x closes after the first successful probe, so
 *       from then on this class still reports HALF_OPEN, counts the answers and forces the breaker open again on the
 *       first failure;</li>
 *   <li>an open breaker refuses before the module is entered (a volatile read and a preallocated exception path), so
 *       the refusal costs well under a microsecond and no call reaches the provider;</li>
 *   <li>metrics ({@code ledgerline.provider.breaker.state}, {@code ledgerline.provider.calls} by operation and
 *       result) and a listener told of every state change.</li>
 * </ul>
 */
public final class ProviderBreaker {
  private static final Logger LOG = LoggerFactory.getLogger(ProviderBreaker.class);

  public enum State {
    CLOSED(0), HALF_OPEN(1), OPEN(2);

    /** The value of {@code ledgerline_provider_breaker_state}. */
    public final int code;

    State(int code) {
      this.code = code;
    }

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /** The breaker's settings ({@code providers.breaker.*}). */
  public record Settings(int failureThreshold, Duration resetTimeout, int halfOpenSuccesses, Duration timeout) {}

  /** One state change, as published in the event {@code provider.breaker.changed}. */
  public record Change(String provider, State from, State to, Instant at, Duration retryAfter) {
    public JsonObject toJson() {
      return new JsonObject().put("provider", provider).put("from", from.id()).put("to", to.id())
          .put("at", at.toString()).put("retry_after_ms", retryAfter.toMillis());
    }
  }

  private final String provider;
  private final Settings settings;
  private final CircuitBreaker breaker;
  private final MeterRegistry registry;
  private final Consumer<Change> listener;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private volatile State state = State.CLOSED;
  private volatile long openedAtNanos;
  /** Answers in a row since the first successful half-open probe (Vert.x is closed by then; we are not yet). */
  private int probationAnswers;

  public ProviderBreaker(Vertx vertx, String provider, Settings settings, MeterRegistry registry,
      Consumer<Change> listener) {
    this.provider = provider;
    this.settings = settings;
    this.registry = registry;
    this.listener = listener;
    this.breaker = CircuitBreaker.create("provider-" + provider, vertx, new CircuitBreakerOptions()
        .setMaxFailures(settings.failureThreshold()).setResetTimeout(settings.resetTimeout().toMillis())
        .setTimeout(settings.timeout().toMillis()).setFallbackOnFailure(false).setMaxRetries(0));
    breaker.failurePolicy(ar -> ar.failed() && unhealthy(ar.cause()));
    breaker.openHandler(v -> onOpen());
    breaker.halfOpenHandler(v -> moveTo(State.HALF_OPEN));
    breaker.closeHandler(v -> onModuleClosed());
    Gauge.builder("ledgerline.provider.breaker.state", this, b -> b.state.code)
        .description("circuit breaker state: 0 closed, 1 half-open, 2 open").tag("provider", provider)
        .register(registry);
  }

  public String provider() {
    return provider;
  }

  public State state() {
    return state;
  }

  /** How long until an open breaker lets a call through again (zero unless open). */
  public Duration retryAfter() {
    if (state != State.OPEN) {
      return Duration.ZERO;
    }
    long left = settings.resetTimeout().toNanos() - (System.nanoTime() - openedAtNanos);
    return Duration.ofNanos(Math.max(0, left));
  }

  /**
   * Runs {@code call} through the breaker. An open breaker fails at once with a short-circuited
   * {@link ProviderUnavailableException}; a call past {@code timeout} fails with one too, as does any failure that
   * is not a {@link ProviderException}.
   */
  public <T> Future<T> call(String operation, Supplier<Future<T>> call) {
    long start = System.nanoTime();
    if (state == State.OPEN) {
      record(operation, "short_circuited", start);
      return Future.failedFuture(ProviderUnavailableException.breakerOpen(provider, retryAfterForCaller()));
    }
    return breaker.<T>execute(call).transform(ar -> {
      if (ar.succeeded()) {
        answered();
        record(operation, "ok", start);
        return Future.succeededFuture(ar.result());
      }
      Throwable e = typed(ar.cause());
      ProviderException p = (ProviderException) e;
      if (p instanceof ProviderUnavailableException u && u.shortCircuited()) {
        record(operation, "short_circuited", start);
      } else if (p.unhealthy()) {
        failedInProbation();
        record(operation, "TIMEOUT".equals(p.errorCode()) ? "timeout" : "unavailable", start);
      } else {
        answered();
        record(operation, p instanceof InvalidProviderTokenException ? "invalid_token" : "rejected", start);
      }
      return Future.failedFuture(e);
    });
  }

  /** Health as {@code /health/ready} shows it: anything but closed is degraded (the node still serves). */
  public JsonObject health() {
    State s = state;
    JsonObject h = new JsonObject().put("state", s.id());
    if (s == State.OPEN) {
      h.put("retry_after_ms", retryAfter().toMillis());
    }
    return h;
  }

  public void close() {
    breaker.close();
  }

  private static boolean unhealthy(Throwable e) {
    return !(e instanceof ProviderException p) || p.unhealthy();
  }

  /** The module's own failures (its timeout, its half-open refusal) and anything unexpected, as provider errors. */
  private Throwable typed(Throwable e) {
    if (e instanceof ProviderException) {
      return e;
    }
    if (e instanceof io.vertx.circuitbreaker.TimeoutException) {
      return new ProviderUnavailableException(provider, "API_ERROR", "TIMEOUT",
          "no answer within " + settings.timeout().toMillis() + " ms", 0, "", Duration.ofSeconds(1), false);
    }
    if (e instanceof OpenCircuitException) {
      return ProviderUnavailableException.breakerOpen(provider, retryAfterForCaller());
    }
    return new ProviderUnavailableException(provider, "API_ERROR", "INVALID_RESPONSE",
        "unreadable answer: " + e.getClass().getSimpleName(), 0, "", Duration.ofSeconds(1), false);
  }

  /** At least a second: a Retry-After of zero would invite an immediate retry storm. */
  private Duration retryAfterForCaller() {
    Duration d = retryAfter();
    return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
  }

  private void onOpen() {
    openedAtNanos = System.nanoTime();
    moveTo(State.OPEN);
  }

  private void onModuleClosed() {
    synchronized (this) {
      probationAnswers = 0;
    }
    if (settings.halfOpenSuccesses() <= 1) {
      moveTo(State.CLOSED);
    }
    // Otherwise still half-open for us: answered() counts this probe and the ones after it.
  }

  private void answered() {
    boolean close = false;
    synchronized (this) {
      if (state == State.HALF_OPEN && breaker.state() == io.vertx.circuitbreaker.CircuitBreakerState.CLOSED) {
        close = ++probationAnswers >= settings.halfOpenSuccesses();
      }
    }
    if (close) {
      moveTo(State.CLOSED);
    }
  }

  private void failedInProbation() {
    boolean reopen;
    synchronized (this) {
      reopen = state == State.HALF_OPEN && breaker.state() == io.vertx.circuitbreaker.CircuitBreakerState.CLOSED;
    }
    if (reopen) {
      breaker.open();
    }
  }

  private void moveTo(State next) {
    State from;
    synchronized (this) {
      from = state;
      if (from == next) {
        return;
      }
      state = next;
    }
    Change change = new Change(provider, from, next, Instant.now(), retryAfter());
    LOG.warn("provider {} circuit breaker {} -> {}", provider, from.id(), next.id());
    try {
      listener.accept(change);
    } catch (RuntimeException e) {
      LOG.warn("provider {}: a breaker change listener failed: {}", provider, e.toString());
    }
  }

  private void record(String operation, String result, long startNanos) {
    timers.computeIfAbsent(operation + '|' + result, k -> Timer.builder("ledgerline.provider.calls")
            .description("provider calls by operation and result, with their latency").tag("provider", provider)
            .tag("operation", operation).tag("result", result).publishPercentileHistogram().register(registry))
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }
}
