package dev.ledgerline.users;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-node view of users that the gateway reads on every request, so the hot path makes no PostgreSQL round
 * trip. A cached user is trusted for {@link Options#ttl()}; after half of it the next request refreshes it in the
 * background. Changes reach every node at once through {@link UsersApi#USER_CHANGED} (and PostgreSQL {@code NOTIFY}
 * for changes made outside the cluster); the TTL bounds how long a lost message can leave a node behind.
 *
 * <p>When PostgreSQL cannot be reached and a cached copy is past its TTL, writes fail closed
 * ({@link UsersUnavailableException}); reads may use the copy for {@link Options#staleReadsFor()} more. An unknown
 * user is remembered as unknown for the TTL too, so tokens of unknown subjects cannot make every request a query.
 */
public final class UserDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(UserDirectory.class);
  /**
   * A load or a provisioning slower than this counts as PostgreSQL unavailable: the pool has no statement timeout of
   * its own, and a request must never wait on a hung database.
   */
  static final long LOAD_TIMEOUT_MS = 2_000;

  /**
   * @param ttl how long a cached answer is used without asking PostgreSQL
   * @param staleReadsFor how much longer a read may use it while PostgreSQL is unreachable (zero: never)
   * @param autoProvision whether an unknown subject with a valid token becomes a user with the token's roles
   * @param maxUsers bound on cached users per node
   */
  public record Options(Duration ttl, Duration staleReadsFor, boolean autoProvision, long maxUsers) {
    public Options {
      if (ttl.isNegative() || ttl.isZero() || staleReadsFor.isNegative() || maxUsers < 1) {
        throw new IllegalArgumentException("ttl must be positive, staleReadsFor not negative, maxUsers at least 1");
      }
    }
  }

  /** A cached answer: the user, or null for "no such user". */
  private record Entry(User user, long loadedAt) {}

  private final UserStore store;
  private final Options options;
  private final Ticker ticker;
  private final Cache<String, Entry> cache;
  private final ConcurrentHashMap<String, Future<Entry>> loading = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Future<User>> provisioning = new ConcurrentHashMap<>();

  public UserDirectory(UserStore store, Options options, Ticker ticker) {
    this.store = Objects.requireNonNull(store);
    this.options = Objects.requireNonNull(options);
    this.ticker = Objects.requireNonNull(ticker);
    this.cache = Caffeine.newBuilder().maximumSize(options.maxUsers()).ticker(ticker)
        .expireAfterWrite(options.ttl().plus(options.staleReadsFor())).build();
  }

  public UserStore store() {
    return store;
  }

  public RolePermissions rolePermissions() {
    return store.rolePermissions();
  }

  /**
   * Listens for changes published by any node; the returned consumer is unregistered to stop. Messages that are
   * not a user are ignored (they cannot come from a trusted node).
   */
  public MessageConsumer<JsonObject> listen(Vertx vertx) {
    return vertx.eventBus().<JsonObject>consumer(UsersApi.USER_CHANGED, m -> {
      try {
        accept(User.fromWire(m.body()));
      } catch (RuntimeException e) {
        LOG.warn("ignored a malformed user change: {}", e.toString());
      }
    });
  }

  /** Tells every node (this one included) of a change. */
  public static void publish(Vertx vertx, User user) {
    vertx.eventBus().publish(UsersApi.USER_CHANGED, user.toWire());
  }

  /**
   * The user behind a verified token, active: refused with {@link UserRefusedException} when suspended, closed or
   * unknown (and not auto-provisioned), failed with {@link UsersUnavailableException} when it cannot be known.
   *
   * @param tokenRoles what an auto-provisioned user is given
   * @param write whether the request changes anything (a stale copy never serves a write)
   */
  public Future<User> activeUser(String id, Set<Role> tokenRoles, boolean write) {
    Entry e = cache.getIfPresent(id);
    long now = ticker.read();
    if (e != null && now - e.loadedAt() < options.ttl().toNanos()) {
      if (now - e.loadedAt() >= options.ttl().toNanos() / 2) {
        load(id); // refresh ahead, so a busy user never waits for PostgreSQL
      }
      return answer(id, e, tokenRoles);
    }
    Entry stale = e;
    return load(id).recover(err -> {
      if (!write && stale != null && !options.staleReadsFor().isZero()) {
        return Future.succeededFuture(stale);
      }
      return Future.failedFuture(new UsersUnavailableException("user " + id + " cannot be loaded: " + err, err));
    }).compose(entry -> answer(id, entry, tokenRoles));
  }

  private Future<User> answer(String id, Entry e, Set<Role> tokenRoles) {
    if (e.user() == null) {
      if (!options.autoProvision()) {
        return Future.failedFuture(new UserRefusedException(id, UserRefusedException.Reason.UNKNOWN));
      }
      return provision(id, tokenRoles).recover(err -> Future.failedFuture(err instanceof InvalidUserException ? err
              : new UsersUnavailableException("user " + id + " cannot be provisioned: " + err, err)))
          .compose(u -> answer(id, new Entry(u, ticker.read()), tokenRoles));
    }
    return switch (e.user().status()) {
      case ACTIVE -> Future.succeededFuture(e.user());
      case SUSPENDED -> Future.failedFuture(new UserRefusedException(id, UserRefusedException.Reason.SUSPENDED));
      case CLOSED -> Future.failedFuture(new UserRefusedException(id, UserRefusedException.Reason.CLOSED));
    };
  }

  /**
   * One provisioning per subject at a time: a new client's first burst (a load generator, a page opening several
   * requests) makes one user, not a queue of transactions behind the users write lock.
   */
  private Future<User> provision(String id, Set<Role> tokenRoles) {
    return singleFlight(provisioning, id, () -> store.provision(id, tokenRoles).map(u -> {
      LOG.info("user {} provisioned on first sight with roles {}", id, u.roles());
      accept(u);
      return u;
    }));
  }

  /** One load per user at a time; its answer replaces the cached one unless a newer version arrived meanwhile. */
  private Future<Entry> load(String id) {
    return singleFlight(loading, id, () -> read(id));
  }

  private Future<Entry> read(String id) {
    long started = ticker.read();
    return store.find(id)
        .map(found -> cache.asMap().merge(id, new Entry(found.orElse(null), started), UserDirectory::newer));
  }

  /**
   * Runs {@code work} for {@code id} unless a run for it is in flight, whose answer is then shared. Bounded by
   * {@link #LOAD_TIMEOUT_MS}.
   */
  private static <T> Future<T> singleFlight(ConcurrentHashMap<String, Future<T>> inFlight, String id,
      Supplier<Future<T>> work) {
    Promise<T> mine = Promise.promise();
    Future<T> running = inFlight.putIfAbsent(id, mine.future());
    if (running != null) {
      return running;
    }
    Future<T> started;
    try {
      started = work.get();
    } catch (RuntimeException e) {
      started = Future.failedFuture(e);
    }
    started.timeout(LOAD_TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete(ar -> {
      inFlight.remove(id, mine.future());
      mine.handle(ar);
    });
    return mine.future();
  }

  /** Keeps the higher version; at equal versions the later load (it restarts the TTL). */
  private static Entry newer(Entry old, Entry fresh) {
    long o = old.user() == null ? 0 : old.user().version();
    long f = fresh.user() == null ? 0 : fresh.user().version();
    if (o > f) {
      return old;
    }
    return fresh;
  }

  /** A change heard from another node or this one's admin API; an older version than the cached one is ignored. */
  public void accept(User user) {
    cache.asMap().merge(user.id(), new Entry(user, ticker.read()), UserDirectory::newer);
  }

  /**
   * A change known only by id (PostgreSQL {@code NOTIFY}): reload it now. Never by joining a load in flight, which
   * may have read the row before the change committed and would then keep the old row until the next refresh.
   */
  public Future<Void> refresh(String id) {
    return read(id).timeout(LOAD_TIMEOUT_MS, TimeUnit.MILLISECONDS).mapEmpty();
  }
}
