package dev.ledgerline.events.webhooks;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.NewEvent;
import dev.ledgerline.infra.postgres.ArrayColumns;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends due deliveries: {@code webhooks.dispatchers} of them per node, each on its own event loop and owning the
 * endpoints whose id hashes to it, so one endpoint's attempts and breaker live in one place. It claims them in batches ({@code FOR UPDATE SKIP LOCKED}, so dispatchers on several nodes
 * share the work; a claim moves the row's next attempt past {@code webhooks.lease}, so a dispatcher that died leaves
 * it to another), queues them per endpoint, and sends at most {@code webhooks.concurrency-per-endpoint} at once to
 * one endpoint over a keep-alive client. Each endpoint has its own circuit breaker: attempts to an endpoint whose
 * breaker is open fail at once, and an endpoint with a full queue or an open breaker is left out of the next claims,
 * so a dead receiver holds only its own slots and never the others' deliveries.
 *
 * <p>Every attempt is checked by {@link UrlGuard} again and connects to the address it checked. A 2xx answer is a
 * delivery; anything else (a redirect too: none is followed), a timeout or a body above
 * {@code webhooks.max-response-bytes} is a failure, retried after {@code backoff.initial × 2^(attempt-1)} (at most
 * {@code backoff.max}), of which a random half to all is waited (jitter). A delivery older than
 * {@code webhooks.max-age} is given up. An endpoint is disabled, and {@code webhook.endpoint.disabled} published, when
 * a delivery is given up and the endpoint has not accepted anything since that delivery was created, or when it has
 * failed without a success for {@code webhooks.disable-after}. Outcomes are written in batches, one write at a time.
 */
public final class WebhookDispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);
  static final String SOURCE = "webhooks";
  private static final int MAX_ERROR = 500;

  private static final String CLAIM = "WITH due AS (SELECT d.id, d.endpoint_id, d.next_attempt_at "
      + "FROM webhook_deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= now() "
      // abs of the bigint: abs(-2^31) overflows an int, and an endpoint id hashing there would fail every claim.
      + "AND NOT (d.endpoint_id = ANY($1)) AND mod(abs(hashtext(d.endpoint_id::text)::bigint), $5::int) = $6::int "
      + "ORDER BY d.next_attempt_at LIMIT $2), "
      + "ranked AS (SELECT id, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS rn "
      + "FROM due), "
      + "c AS (SELECT d.id FROM webhook_deliveries d JOIN ranked r ON r.id = d.id "
      + "JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE r.rn <= $3 AND e.status = 'enabled' "
      + "AND d.status = 'pending' AND d.next_attempt_at <= now() FOR UPDATE OF d SKIP LOCKED), "
      + "u AS (UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $4), "
      + "attempts = d.attempts + 1 FROM c WHERE d.id = c.id "
      + "RETURNING d.id, d.endpoint_id, d.message_id, d.attempts, d.created_at) "
      + "SELECT u.id, u.endpoint_id, u.message_id, u.attempts, u.created_at, m.body, e.url, e.secret_version, "
      + "e.previous_until > now() AS with_previous FROM u JOIN webhook_messages m ON m.id = u.message_id "
      + "JOIN webhook_endpoints e ON e.id = u.endpoint_id";

  private static final String RECORD = "UPDATE webhook_deliveries d SET status = v.status, next_attempt_at = v.next_at, "
      + "last_attempt_at = v.at, last_status = v.code, last_error = v.err, "
      + "delivered_at = CASE WHEN v.status = 'delivered' THEN v.at ELSE d.delivered_at END "
      + "FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::text[]) "
      + "AS v(id, status, next_at, at, code, err) WHERE d.id = v.id AND d.status = 'pending'";

  private static final String HEALTH = "UPDATE webhook_endpoints e SET "
      + "failing_since = CASE WHEN v.ok THEN NULL ELSE coalesce(e.failing_since, v.at) END, "
      + "last_success_at = CASE WHEN v.ok THEN v.at ELSE e.last_success_at END "
      + "FROM unnest($1::uuid[], $2::bool[], $3::timestamptz[]) AS v(id, ok, at) WHERE e.id = v.id";

  private static final String DISABLE = "UPDATE webhook_endpoints e SET status = 'disabled', updated_at = now(), "
      + "disabled_reason = CASE WHEN e.failing_since <= now() - make_interval(secs => $3) "
      + "THEN 'no successful delivery for ' || $4 ELSE 'a message was given up after ' || $5 || ' without any "
      + "successful delivery since it was created' END "
      + "WHERE e.status = 'enabled' AND e.failing_since IS NOT NULL AND (e.failing_since <= now() - "
      + "make_interval(secs => $3) OR EXISTS (SELECT 1 FROM unnest($1::uuid[], $2::timestamptz[]) AS x(id, created) "
      + "WHERE x.id = e.id AND (e.last_success_at IS NULL OR e.last_success_at < x.created))) "
      + "RETURNING e.id, e.owner, e.url, e.disabled_reason";

  /** One claimed delivery. */
  record Claimed(long id, UUID endpointId, UUID messageId, int attempts, Instant createdAt, String body, String url,
      int secretVersion, boolean withPrevious) {}

  /** One attempt's result. */
  record Outcome(Claimed delivery, boolean ok, int status, String error, Instant at) {}

  private final Vertx vertx;
  private final Pool pool;
  private final WebhookEndpoints endpoints;
  private final UrlGuard guard;
  private final EventPublisher publisher;
  private final LedgerlineConfig.Webhooks settings;
  private final Clock clock;
  /** This dispatcher claims the endpoints whose id hashes to {@code shard} of {@code shards}. */
  private final int shard;
  private final int shards;
  private final HttpClient http;
  private final Map<UUID, Lane> lanes = new HashMap<>();
  private final List<Outcome> outcomes = new ArrayList<>();
  private final List<Promise<Void>> drained = new ArrayList<>();
  private long timer = -1;
  private MessageConsumer<Object> due;
  private final OneRunAtATime<RowSet<Row>> claims = new OneRunAtATime<>(this::claim, this::claimed);
  private boolean recording;
  private boolean stopped;

  public WebhookDispatcher(Vertx vertx, Pool pool, WebhookEndpoints endpoints, UrlGuard guard,
      EventPublisher publisher, LedgerlineConfig.Webhooks settings, Clock clock, int shard, int shards) {
    this.vertx = vertx;
    this.shard = shard;
    this.shards = shards;
    this.pool = pool;
    this.endpoints = endpoints;
    this.guard = guard;
    this.publisher = publisher;
    this.settings = settings;
    this.clock = clock;
    HttpClientOptions options = new HttpClientOptions().setKeepAlive(true).setForceSni(true)
        .setConnectTimeout((int) settings.connectTimeout().toMillis())
        .setIdleTimeout((int) settings.timeout().toMillis()).setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setMaxRedirects(0).setDecompressionSupported(false);
    this.http = vertx.httpClientBuilder().with(options)
        .with(new PoolOptions().setHttp1MaxSize(settings.concurrencyPerEndpoint())).build();
  }

  /** Starts polling and listening for new deliveries (on the caller's context). */
  public void start() {
    due = vertx.eventBus().consumer(WebhookMessages.DUE, m -> wake());
    timer = vertx.setPeriodic(Math.max(1, settings.pollInterval().toMillis()), t -> wake());
    wake();
  }

  /** Stops claiming; the attempts in flight finish and their outcomes are written. */
  public Future<Void> stop() {
    stopped = true;
    claims.stop();
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
    Future<Void> unregistered = due == null ? Future.succeededFuture() : due.unregister();
    Promise<Void> idle = Promise.promise();
    drained.add(idle);
    checkDrained();
    return unregistered.compose(v -> idle.future()).eventually(() -> http.close());
  }

  /** Looks for due deliveries now (or once more after the claim in progress). */
  public void wake() {
    claims.wake();
  }

  private Future<RowSet<Row>> claim() {
    List<UUID> skip = new ArrayList<>();
    lanes.forEach((id, lane) -> {
      if (lane.full() || lane.breaker.state() == CircuitBreakerState.OPEN) {
        skip.add(id);
      }
    });
    return pool.preparedQuery(CLAIM).execute(Tuple.of(skip.toArray(new UUID[0]), settings.batchSize() * 4,
        settings.concurrencyPerEndpoint() * 2, seconds(settings.lease()), shards, shard));
  }

  /** Hands the claimed deliveries to their lanes; true when a full batch suggests more are due. */
  private boolean claimed(AsyncResult<RowSet<Row>> ar) {
    if (ar.failed()) {
      LOG.warn("webhooks: claiming due deliveries failed (retried): {}", ar.cause().getMessage());
      return false;
    }
    int n = 0;
    for (Row r : ar.result()) {
      n++;
      Claimed c = new Claimed(r.getLong("id"), r.getUUID("endpoint_id"), r.getUUID("message_id"),
          r.getInteger("attempts"), r.getOffsetDateTime("created_at").toInstant(), r.getString("body"),
          r.getString("url"), r.getInteger("secret_version"), Boolean.TRUE.equals(r.getBoolean("with_previous")));
      lane(c.endpointId()).add(c);
    }
    return n >= settings.batchSize();
  }

  private Lane lane(UUID endpoint) {
    return lanes.computeIfAbsent(endpoint, Lane::new);
  }

  /** One endpoint's queue, slots, breaker and cached keys. */
  private final class Lane {
    final UUID endpoint;
    final ArrayDeque<Claimed> queue = new ArrayDeque<>();
    final CircuitBreaker breaker;
    int inFlight;
    int keysVersion = -1;
    boolean keysWithPrevious;
    List<byte[]> keys;

    Lane(UUID endpoint) {
      this.endpoint = endpoint;
      this.breaker = CircuitBreaker.create("webhook-" + endpoint, vertx, new CircuitBreakerOptions()
          .setMaxFailures(settings.breakerFailures()).setResetTimeout(settings.breakerReset().toMillis())
          .setTimeout(-1).setFallbackOnFailure(false).setMaxRetries(0).setNotificationAddress(null));
    }

    boolean full() {
      return queue.size() + inFlight >= settings.concurrencyPerEndpoint();
    }

    void add(Claimed c) {
      queue.add(c);
      pump();
    }

    void pump() {
      if (stopped) {
        // Left claimed: another dispatcher sends them once their lease is over.
        queue.clear();
      }
      while (inFlight < settings.concurrencyPerEndpoint() && !queue.isEmpty()) {
        Claimed c = queue.poll();
        inFlight++;
        attempt(this, c).onComplete(ar -> {
          inFlight--;
          Instant at = clock.instant();
          outcomes.add(ar.succeeded() ? new Outcome(c, true, ar.result(), null, at)
              : new Outcome(c, false, status(ar.cause()), message(ar.cause()), at));
          record();
          pump();
          if (!full()) {
            wake();
          }
        });
      }
    }

    /** The keys that sign now, read from the vault again after a rotation. */
    Future<List<byte[]>> keys(Claimed c) {
      if (keys != null && keysVersion == c.secretVersion() && keysWithPrevious == c.withPrevious()) {
        return Future.succeededFuture(keys);
      }
      return endpoints.keys(endpoint, c.withPrevious()).onSuccess(k -> {
        keys = k;
        keysVersion = c.secretVersion();
        keysWithPrevious = c.withPrevious();
      });
    }
  }

  /** An attempt's failure with the receiver's status (0 when there was no answer). */
  static final class AttemptFailed extends RuntimeException {
    final int status;

    AttemptFailed(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** One attempt through the endpoint's breaker: its HTTP status on a 2xx answer, else a failure. */
  private Future<Integer> attempt(Lane lane, Claimed c) {
    if (lane.breaker.state() == CircuitBreakerState.OPEN) {
      return Future.failedFuture(new AttemptFailed(0, "the endpoint's circuit breaker is open"));
    }
    return lane.breaker.execute(promise -> send(lane, c).onComplete(promise));
  }

  private Future<Integer> send(Lane lane, Claimed c) {
    UrlGuard.Target target;
    try {
      target = guard.parse(c.url());
    } catch (WebhookUrlException e) {
      return Future.failedFuture(new AttemptFailed(0, "url refused: " + e.getMessage()));
    }
    return lane.keys(c).compose(keys -> guard.resolve(target).recover(e -> Future.failedFuture(
        e instanceof WebhookUrlException u ? new AttemptFailed(0, "url refused: " + u.getMessage()) : e))
        .compose(address -> post(target, address, keys, c)));
  }

  private Future<Integer> post(UrlGuard.Target target, InetAddress address, List<byte[]> keys, Claimed c) {
    byte[] body = c.body().getBytes(StandardCharsets.UTF_8);
    long timestamp = clock.instant().getEpochSecond();
    String id = c.messageId().toString();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
        .setServer(SocketAddress.inetSocketAddress(target.port(), address.getHostAddress()))
        .setHost(target.host()).setPort(target.port()).setSsl(target.tls()).setURI(target.requestUri())
        .setFollowRedirects(false).setIdleTimeout(settings.timeout().toMillis())
        .putHeader("content-type", "application/json").putHeader("user-agent", "Ledgerline-Webhooks/1")
        .putHeader("webhook-id", id).putHeader("webhook-timestamp", String.valueOf(timestamp))
        .putHeader("webhook-signature", WebhookSignature.header(keys, id, timestamp, body));
    int cap = settings.maxResponseBytes();
    return http.request(options).compose(req -> req.send(Buffer.buffer(body)).compose(resp -> {
      Promise<Integer> done = Promise.promise();
      int[] read = {0};
      resp.handler(chunk -> {
        read[0] += chunk.length();
        if (read[0] > cap) {
          req.reset();
          done.tryFail(new AttemptFailed(resp.statusCode(), "answer body larger than " + cap + " bytes"));
        }
      });
      resp.exceptionHandler(done::tryFail);
      resp.endHandler(v -> {
        int s = resp.statusCode();
        if (s >= 200 && s < 300) {
          done.tryComplete(s);
        } else {
          done.tryFail(new AttemptFailed(s, "the receiver answered " + s));
        }
      });
      return done.future();
    })).timeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Writes the outcomes gathered so far, one write at a time. */
  private void record() {
    if (recording || outcomes.isEmpty()) {
      checkDrained();
      return;
    }
    recording = true;
    List<Outcome> batch = new ArrayList<>(outcomes);
    outcomes.clear();
    write(batch).onComplete(ar -> {
      recording = false;
      if (ar.failed()) {
        // The rows keep their lease: they are claimed and sent again after it (at least once).
        LOG.warn("webhooks: recording {} outcomes failed: {}", batch.size(), ar.cause().getMessage());
      } else if (ar.result() > 0) {
        wake();
      }
      record();
    });
  }

  /** The outcomes' rows, the endpoints' health, and the endpoints to disable; the number disabled. */
  Future<Integer> write(List<Outcome> batch) {
    int n = batch.size();
    Long[] ids = ArrayColumns.of(batch, o -> o.delivery().id(), Long[]::new);
    OffsetDateTime[] at = ArrayColumns.of(batch, o -> utc(o.at()), OffsetDateTime[]::new);
    Integer[] codes = ArrayColumns.of(batch, o -> o.status() == 0 ? null : o.status(), Integer[]::new);
    String[] errors = ArrayColumns.of(batch, Outcome::error, String[]::new);
    String[] statuses = new String[n];
    OffsetDateTime[] next = new OffsetDateTime[n];
    Map<UUID, Boolean> health = new LinkedHashMap<>();
    Map<UUID, OffsetDateTime> healthAt = new LinkedHashMap<>();
    List<UUID> exhausted = new ArrayList<>();
    List<OffsetDateTime> exhaustedCreated = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Outcome o = batch.get(i);
      Claimed c = o.delivery();
      if (o.ok()) {
        statuses[i] = "delivered";
        next[i] = at[i];
      } else {
        Instant retryAt = o.at().plus(backoff(c.attempts()));
        if (!retryAt.isBefore(c.createdAt().plus(settings.maxAge()))) {
          statuses[i] = "failed";
          next[i] = at[i];
          exhausted.add(c.endpointId());
          exhaustedCreated.add(utc(c.createdAt()));
        } else {
          statuses[i] = "pending";
          next[i] = utc(retryAt);
        }
      }
      health.merge(c.endpointId(), o.ok(), Boolean::logicalOr);
      healthAt.put(c.endpointId(), at[i]);
    }
    return pool.withTransaction(conn -> conn.preparedQuery(RECORD)
        .execute(Tuple.of(ids, statuses, next, at, codes, errors))
        .compose(v -> conn.preparedQuery(HEALTH).execute(Tuple.of(health.keySet().toArray(new UUID[0]),
            health.values().toArray(new Boolean[0]), healthAt.values().toArray(new OffsetDateTime[0]))))
        .compose(v -> conn.preparedQuery(DISABLE).execute(Tuple.of(exhausted.toArray(new UUID[0]),
            exhaustedCreated.toArray(new OffsetDateTime[0]), seconds(settings.disableAfter()),
            words(settings.disableAfter()), words(settings.maxAge()))))
        .compose(disabled -> {
          if (disabled.size() == 0) {
            return Future.succeededFuture(0);
          }
          List<NewEvent> events = new ArrayList<>();
          List<UUID> gone = new ArrayList<>();
          for (Row r : disabled) {
            UUID id = r.getUUID("id");
            gone.add(id);
            LOG.warn("webhooks: endpoint {} disabled: {}", id, r.getString("disabled_reason"));
            events.add(NewEvent.of(WebhookFanout.ENDPOINT_DISABLED, "webhook:" + id, SOURCE, new JsonObject()
                .put("endpoint_id", id.toString()).put("owner", r.getString("owner")).put("url", r.getString("url"))
                .put("reason", r.getString("disabled_reason"))));
          }
          return conn.preparedQuery("UPDATE webhook_deliveries SET status = 'failed', last_error = "
                  + "'the endpoint was disabled' WHERE endpoint_id = ANY($1) AND status = 'pending'")
              .execute(Tuple.of((Object) gone.toArray(new UUID[0])))
              .compose(v -> publisher.publishAll(conn, events)).map(events.size());
        }));
  }

  /**
   * The wait before the next attempt after {@code attempts} failed ones: {@code initial × 2^(attempts-1)}, at most
   * {@code max}, of which a random half to all (so receivers coming back are not hit by every sender at once).
   */
  Duration backoff(int attempts) {
    long initial = settings.backoffInitial().toMillis();
    long max = settings.backoffMax().toMillis();
    long full = initial << Math.min(30, Math.max(0, attempts - 1));
    full = Math.min(max, full < 0 ? max : full);
    long half = full / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(full - half + 1));
  }

  private void checkDrained() {
    if (!stopped || recording || !outcomes.isEmpty()) {
      return;
    }
    for (Lane lane : lanes.values()) {
      if (lane.inFlight > 0) {
        return;
      }
    }
    List<Promise<Void>> waiting = new ArrayList<>(drained);
    drained.clear();
    waiting.forEach(Promise::tryComplete);
  }

  private static int status(Throwable e) {
    return e instanceof AttemptFailed f ? f.status : 0;
  }

  private static String message(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.length() > MAX_ERROR ? m.substring(0, MAX_ERROR) : m;
  }

  /** 72h, 4s: a duration as the configuration spells it. */
  private static String words(Duration d) {
    return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }

  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }

  private static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }
}
