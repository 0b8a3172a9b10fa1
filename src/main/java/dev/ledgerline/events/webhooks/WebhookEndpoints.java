package dev.ledgerline.events.webhooks;

import dev.ledgerline.vault.TokenVault;
import dev.ledgerline.vault.VaultException;
import dev.ledgerline.vault.VaultToken;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The endpoints API's storage: {@code webhook_endpoints} and the delivery log, strictly per owner (another owner's
 * endpoint is not found, whoever asks). Secrets live in the token vault under {@code webhook:<id>}: kind
 * {@code whsec} (current) and {@code whsec.previous} (the one before the last rotation, signing until
 * {@code previous_until}); the table holds none.
 */
public final class WebhookEndpoints {
  /** The event types an endpoint may subscribe to. */
  public static final Set<String> EVENT_TYPES = Set.of(WebhookFanout.TRANSFER_COMMITTED, "payment.completed",
      "payment.compensated", "payment.failed", "payment.needs_attention", WebhookFanout.ENDPOINT_DISABLED);
  public static final int MAX_PAGE = 100;
  static final String CURRENT = "whsec";
  static final String PREVIOUS = "whsec.previous";
  private static final String COLUMNS = "id, seq, owner, " + seesAll("webhook_endpoints") + " AS all_accounts, url, "
      + "events, status, disabled_reason, previous_until, created_at, updated_at";

  /**
   * {@code all_accounts} as it holds now, of the endpoint row named {@code endpoint}: registered by an operator or
   * admin, and its owner still one (an owner with no row in {@code users}, {@code auth.users.check} off, keeps what
   * it registered with). What deliveries follow and what the API shows.
   */
  static String seesAll(String endpoint) {
    return "(" + endpoint + ".all_accounts AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = " + endpoint
        + ".owner AND NOT (u.roles && ARRAY['operator', 'admin']::text[])))";
  }

  /** An endpoint as its owner sees it. */
  public record Endpoint(UUID id, long seq, String owner, boolean allAccounts, String url, List<String> events,
      String status, String disabledReason, Instant previousUntil, Instant createdAt, Instant updatedAt) {}

  /** A new endpoint (or a replay of its creation) with its secret: the only answer that carries one. */
  public record Created(Endpoint endpoint, String secret) {}

  /** One row of the delivery log. */
  public record Delivery(long id, UUID messageId, String type, String status, int attempts, Instant nextAttemptAt,
      Instant lastAttemptAt, Integer lastStatus, String lastError, Instant createdAt, Instant deliveredAt) {}

  /** A page and the position after its last item, null when there is no more. */
  public record Page<T>(List<T> items, Long nextAfter) {}

  /** The owner reached {@code webhooks.max-endpoints-per-owner}. */
  public static final class TooManyEndpointsException extends RuntimeException {
    TooManyEndpointsException(int max) {
      super("an owner may register at most " + max + " webhook endpoints", null, false, false);
    }
  }

  /** A delivery of a disabled endpoint cannot be sent again: nothing is sent to a disabled endpoint. */
  public static final class EndpointDisabledException extends RuntimeException {
    EndpointDisabledException() {
      super("the endpoint is disabled: nothing is sent to it; register it again", null, false, false);
    }
  }

  /** A creation retried with the same key but another URL or event list. */
  public static final class KeyReusedException extends RuntimeException {
    KeyReusedException() {
      super("this Idempotency-Key created an endpoint with another url or events", null, false, false);
    }
  }

  private final Pool pool;
  private final TokenVault vault;
  private final UrlGuard guard;
  private final int maxPerOwner;
  private final Duration rotationGrace;

  public WebhookEndpoints(Pool pool, TokenVault vault, UrlGuard guard, int maxPerOwner, Duration rotationGrace) {
    this.pool = pool;
    this.vault = vault;
    this.guard = guard;
    this.maxPerOwner = maxPerOwner;
    this.rotationGrace = rotationGrace;
  }

  static String vaultUser(UUID endpoint) {
    return "webhook:" + endpoint;
  }

  /**
   * Registers an endpoint after its URL passed the SSRF check. {@code id} is derived from the idempotency key when
   * there is one: a retry whose first answer was lost finds the endpoint and gets the same secret back (the answer is
   * never kept in the idempotency store, so no secret is stored outside the vault).
   */
  public Future<Created> create(UUID id, String owner, boolean allAccounts, String url, List<String> events) {
    return find(owner, id).compose(existing -> {
      if (existing.isPresent()) {
        Endpoint e = existing.get();
        if (!e.url().equals(url) || !e.events().equals(events)) {
          return Future.failedFuture(new KeyReusedException());
        }
        return currentSecret(id).map(secret -> new Created(e, secret));
      }
      return guard.check(url).compose(target -> insert(id, owner, allAccounts, url, events));
    });
  }

  private Future<Created> insert(UUID id, String owner, boolean allAccounts, String url, List<String> events) {
    String fresh = WebhookSignature.newSecret();
    // The secret is in the vault before the row exists: a row never lacks its secret. The first request to store one
    // for this id keeps it; another (a concurrent request with the same key, or a retry after a failure that left
    // only the vault row, a secret nobody was given) answers the one the vault holds, which is what signs.
    return vault.storeIfAbsent(vaultUser(id), CURRENT, fresh)
        .compose(stored -> stored ? Future.succeededFuture(fresh) : currentSecret(id))
        .compose(secret -> pool.preparedQuery("INSERT INTO webhook_endpoints (id, owner, all_accounts, url, events) "
                + "SELECT $1, $2, $3, $4, $5 WHERE (SELECT count(*) FROM webhook_endpoints WHERE owner = $2) < $6 "
                + "ON CONFLICT (id) DO NOTHING RETURNING " + COLUMNS)
            .execute(Tuple.of(id, owner, allAccounts, url, events.toArray(new String[0]), maxPerOwner))
            .compose(rows -> {
              if (rows.size() == 1) {
                return Future.succeededFuture(new Created(endpoint(rows.iterator().next()), secret));
              }
              // Either the owner is at the limit, or a concurrent retry inserted it first.
              return find(owner, id).compose(found -> found.isPresent()
                  ? create(id, owner, allAccounts, url, events)
                  : vault.delete(vaultUser(id), CURRENT).transform(ignored ->
                      Future.failedFuture(new TooManyEndpointsException(maxPerOwner))));
            }));
  }

  public Future<Optional<Endpoint>> find(String owner, UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM webhook_endpoints WHERE id = $1 AND owner = $2")
        .execute(Tuple.of(id, owner))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(endpoint(rows.iterator().next())));
  }

  /** The owner's endpoints in creation order, after {@code after} (a seq), at most {@code limit}. */
  public Future<Page<Endpoint>> list(String owner, long after, int limit) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM webhook_endpoints WHERE owner = $1 AND seq > $2 "
            + "ORDER BY seq LIMIT $3").execute(Tuple.of(owner, after, limit + 1))
        .map(rows -> page(rows, limit, WebhookEndpoints::endpoint, Endpoint::seq));
  }

  /** Deletes the endpoint, its delivery log and its secrets; false when the owner has no such endpoint. */
  public Future<Boolean> delete(String owner, UUID id) {
    return pool.preparedQuery("DELETE FROM webhook_endpoints WHERE id = $1 AND owner = $2")
        .execute(Tuple.of(id, owner))
        .compose(rows -> rows.rowCount() == 0 ? Future.succeededFuture(false)
            : vault.delete(vaultUser(id), CURRENT).compose(v -> vault.delete(vaultUser(id), PREVIOUS)).map(true));
  }

  /**
   * A new secret; the current one becomes the previous and keeps signing for {@code webhooks.rotation-grace}. The
   * previous one before that is gone. Empty when the owner has no such endpoint.
   */
  public Future<Optional<Created>> rotate(String owner, UUID id) {
    return find(owner, id).compose(found -> {
      if (found.isEmpty()) {
        return Future.succeededFuture(Optional.empty());
      }
      String secret = WebhookSignature.newSecret();
      return currentSecret(id)
          .compose(old -> vault.store(vaultUser(id), PREVIOUS, old))
          .compose(v -> vault.store(vaultUser(id), CURRENT, secret))
          .compose(v -> pool.preparedQuery("UPDATE webhook_endpoints SET secret_version = secret_version + 1, "
                  + "previous_until = now() + make_interval(secs => $3), updated_at = now() "
                  + "WHERE id = $1 AND owner = $2 RETURNING " + COLUMNS)
              .execute(Tuple.of(id, owner, (double) rotationGrace.toMillis() / 1000)))
          .map(rows -> rows.size() == 0 ? Optional.<Created>empty()
              : Optional.of(new Created(endpoint(rows.iterator().next()), secret)));
    });
  }

  /** The HMAC keys that sign for the endpoint now: the current one, then the previous one during its grace. */
  Future<List<byte[]>> keys(UUID id, boolean withPrevious) {
    Future<byte[]> current = currentSecret(id).map(WebhookSignature::key);
    if (!withPrevious) {
      return current.map(List::of);
    }
    return current.compose(c -> secret(id, PREVIOUS).map(p -> List.of(c, WebhookSignature.key(p)))
        .recover(e -> e instanceof VaultException v && v.reason() == VaultException.Reason.MISSING
            ? Future.succeededFuture(List.of(c)) : Future.failedFuture(e)));
  }

  private Future<String> currentSecret(UUID id) {
    return secret(id, CURRENT);
  }

  private Future<String> secret(UUID id, String kind) {
    return vault.retrieve(vaultUser(id), kind).map(t -> {
      try {
        return t.reveal();
      } finally {
        t.destroy();
      }
    });
  }

  /** The endpoint's delivery log, newest first, before {@code before} (a delivery id; 0 = from the newest). */
  public Future<Optional<Page<Delivery>>> deliveries(String owner, UUID id, long before, int limit) {
    return find(owner, id).compose(found -> found.isEmpty() ? Future.succeededFuture(Optional.empty())
        : pool.preparedQuery("SELECT d.id, d.message_id, m.type, d.status, d.attempts, d.next_attempt_at, "
                + "d.last_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at "
                + "FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id "
                + "WHERE d.endpoint_id = $1 AND ($2 = 0 OR d.id < $2) ORDER BY d.id DESC LIMIT $3")
            .execute(Tuple.of(id, before, limit + 1))
            .map(rows -> Optional.of(page(rows, limit, WebhookEndpoints::delivery, Delivery::id))));
  }

  /**
   * Sends a delivery again as soon as possible (it becomes due now, with its attempts kept); a delivered one is sent
   * once more. Empty when the owner has no such endpoint or it no such delivery.
   */
  public Future<Optional<Delivery>> retry(String owner, UUID id, long deliveryId) {
    return find(owner, id).compose(found -> {
      if (found.isPresent() && !found.get().status().equals("enabled")) {
        return Future.failedFuture(new EndpointDisabledException());
      }
      return found.isEmpty() ? Future.succeededFuture(Optional.empty()) : requeue(owner, id, deliveryId);
    });
  }

  private Future<Optional<Delivery>> requeue(String owner, UUID id, long deliveryId) {
    return pool.preparedQuery("WITH u AS (UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now() "
            + "FROM webhook_endpoints e WHERE d.id = $3 AND d.endpoint_id = $1 AND e.id = d.endpoint_id "
            + "AND e.owner = $2 RETURNING d.*) SELECT u.id, u.message_id, m.type, u.status, u.attempts, "
            + "u.next_attempt_at, u.last_attempt_at, u.last_status, u.last_error, u.created_at, u.delivered_at "
            + "FROM u JOIN webhook_messages m ON m.id = u.message_id")
        .execute(Tuple.of(id, owner, deliveryId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(delivery(rows.iterator().next())));
  }

  static Endpoint endpoint(Row r) {
    String[] events = r.getArrayOfStrings("events");
    return new Endpoint(r.getUUID("id"), r.getLong("seq"), r.getString("owner"), r.getBoolean("all_accounts"),
        r.getString("url"), events == null ? List.of() : List.of(events), r.getString("status"),
        r.getString("disabled_reason"), instant(r.getOffsetDateTime("previous_until")),
        instant(r.getOffsetDateTime("created_at")), instant(r.getOffsetDateTime("updated_at")));
  }

  static Delivery delivery(Row r) {
    return new Delivery(r.getLong("id"), r.getUUID("message_id"), r.getString("type"), r.getString("status"),
        r.getInteger("attempts"), instant(r.getOffsetDateTime("next_attempt_at")),
        instant(r.getOffsetDateTime("last_attempt_at")), r.getInteger("last_status"), r.getString("last_error"),
        instant(r.getOffsetDateTime("created_at")), instant(r.getOffsetDateTime("delivered_at")));
  }

  private static <T> Page<T> page(RowSet<Row> rows, int limit, java.util.function.Function<Row, T> read,
      java.util.function.ToLongFunction<T> position) {
    List<T> items = new ArrayList<>();
    for (Row r : rows) {
      items.add(read.apply(r));
    }
    Long next = null;
    if (items.size() > limit) {
      items = items.subList(0, limit);
      next = position.applyAsLong(items.get(limit - 1));
    }
    return new Page<>(List.copyOf(items), next);
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
