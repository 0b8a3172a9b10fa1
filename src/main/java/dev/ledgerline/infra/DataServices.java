package dev.ledgerline.infra;

import dev.ledgerline.infra.postgres.EmbeddedPostgresServer;
import dev.ledgerline.infra.postgres.Migrations;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.infra.postgres.PostgresUrl;
import dev.ledgerline.infra.redis.EmbeddedRedisServer;
import dev.ledgerline.infra.redis.RedisSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's PostgreSQL and Redis: starts what is embedded, migrates the schema, and holds the one shared Vert.x
 * {@link Pool} and {@link Redis} client every verticle uses. Either service may be absent when the node's roles do
 * not need it.
 */
public final class DataServices {

  private static final Logger LOG = LoggerFactory.getLogger(DataServices.class);

  /** Health pings fail when the server has not answered within this time. */
  public static final Duration PING_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration START_PING_TIMEOUT = Duration.ofSeconds(5);
  // Pooled Redis requests each hold a connection until answered; the client's default queue of 24 waiting
  // requests is too short for a gateway under load.
  private static final int REDIS_MAX_POOL_WAITING = 1024;

  private final Vertx vertx;
  private final EmbeddedPostgresServer embeddedPostgres;
  private final EmbeddedRedisServer embeddedRedis;
  private final PostgresUrl postgresUrl;
  private final String redisUrl;
  private final Pool pool;
  private final Redis redis;
  private final RedisAPI redisApi;
  private volatile Future<Void> closing;

  private DataServices(Vertx vertx, Servers servers, Pool pool, Redis redis) {
    this.vertx = vertx;
    this.embeddedPostgres = servers.embeddedPostgres;
    this.embeddedRedis = servers.embeddedRedis;
    this.postgresUrl = servers.postgresUrl;
    this.redisUrl = servers.redisUrl;
    this.pool = pool;
    this.redis = redis;
    this.redisApi = redis == null ? null : RedisAPI.api(redis);
  }

  /**
   * Starts embedded servers (on a worker thread), applies migrations, builds the clients and checks each answers.
   * A {@code null} settings argument means the node does not use that service. On failure everything started so
   * far is stopped again and the future fails with a {@link DataServiceException}.
   */
  public static Future<DataServices> start(Vertx vertx, PostgresSettings postgres, RedisSettings redis) {
    return vertx.executeBlocking(() -> Servers.start(postgres, redis), false)
        .compose(servers -> {
          Pool pool = null;
          Redis client = null;
          try {
            if (servers.postgresUrl != null) {
              pool = PgBuilder.pool()
                  .with(new PoolOptions().setMaxSize(postgres.poolSize()))
                  .connectingTo(servers.postgresUrl.connectOptions())
                  .using(vertx)
                  .build();
            }
            if (servers.redisUrl != null) {
              client = Redis.createClient(vertx, new RedisOptions()
                  .setConnectionString(servers.redisUrl)
                  .setMaxPoolSize(redis.poolSize())
                  .setMaxPoolWaiting(REDIS_MAX_POOL_WAITING));
            }
          } catch (RuntimeException e) {
            if (pool != null) {
              pool.close();
            }
            return vertx.executeBlocking(() -> {
              servers.stop();
              return null;
            }, false).transform(ignored -> Future.failedFuture(
                new DataServiceException("Cannot create the data clients: " + e.getMessage(), e)));
          }
          DataServices services = new DataServices(vertx, servers, pool, client);
          return services.verify()
              .map(services)
              .recover(failure -> services.close().transform(ignored -> Future.failedFuture(failure)));
        });
  }

  /** A node that needs only PostgreSQL. */
  public static Future<DataServices> startPostgres(Vertx vertx, PostgresSettings postgres) {
    return start(vertx, postgres, null);
  }

  /** A node that needs only Redis. */
  public static Future<DataServices> startRedis(Vertx vertx, RedisSettings redis) {
    return start(vertx, null, redis);
  }

  public boolean hasPostgres() {
    return pool != null;
  }

  public boolean hasRedis() {
    return redis != null;
  }

  /** The shared PostgreSQL pool. */
  public Pool pool() {
    if (pool == null) {
      throw new IllegalStateException("PostgreSQL is not configured on this node");
    }
    return pool;
  }

  /** The shared, pooled Redis client; use {@code redis().connect()} for MULTI/EXEC or SUBSCRIBE. */
  public Redis redis() {
    if (redis == null) {
      throw new IllegalStateException("Redis is not configured on this node");
    }
    return redis;
  }

  /** Typed commands over the shared Redis client. */
  public RedisAPI redisApi() {
    redis();
    return redisApi;
  }

  /** Where PostgreSQL is (the embedded server's address, or the configured external one). */
  public Optional<PostgresUrl> postgresUrl() {
    return Optional.ofNullable(postgresUrl);
  }

  /** Where Redis is; contains the password, so log it through {@link RedisSettings#redact(String)}. */
  public Optional<String> redisUrl() {
    return Optional.ofNullable(redisUrl);
  }

  public Optional<EmbeddedPostgresServer> embeddedPostgres() {
    return Optional.ofNullable(embeddedPostgres);
  }

  public Optional<EmbeddedRedisServer> embeddedRedis() {
    return Optional.ofNullable(embeddedRedis);
  }

  /** {@code SELECT 1} through the pool; fails if PostgreSQL is absent, down or slower than {@link #PING_TIMEOUT}. */
  public Future<Void> pingPostgres() {
    return pingPostgres(PING_TIMEOUT);
  }

  public Future<Void> pingPostgres(Duration timeout) {
    return ping("PostgreSQL", pool != null, () -> pool.query("SELECT 1").execute().mapEmpty(), timeout);
  }

  /** {@code PING} through the Redis client; fails if Redis is absent, down or slower than {@link #PING_TIMEOUT}. */
  public Future<Void> pingRedis() {
    return pingRedis(PING_TIMEOUT);
  }

  public Future<Void> pingRedis(Duration timeout) {
    return ping("Redis", redis != null, () -> redisApi.ping(List.of()).mapEmpty(), timeout);
  }

  /** Sends {@code request} only to a service this node has and while it is open. */
  private Future<Void> ping(String service, boolean configured, Supplier<Future<Void>> request, Duration timeout) {
    if (!configured) {
      return Future.failedFuture(new IllegalStateException(service + " is not configured on this node"));
    }
    if (closing != null) {
      return Future.failedFuture(new IllegalStateException("data services are closed"));
    }
    return within(request.get(), timeout, service);
  }

  /** Closes the clients, then stops the embedded servers. Idempotent. */
  public synchronized Future<Void> close() {
    if (closing == null) {
      List<Future<Void>> clients = new ArrayList<>();
      if (pool != null) {
        clients.add(pool.close());
      }
      if (redis != null) {
        clients.add(redis.close());
      }
      Servers servers = new Servers(embeddedPostgres, postgresUrl, embeddedRedis, redisUrl);
      closing = Future.join(clients)
          .transform(ignored -> vertx.executeBlocking(() -> {
            servers.stop();
            return null;
          }, false))
          .mapEmpty();
    }
    return closing;
  }

  private Future<Void> verify() {
    List<Future<Void>> checks = new ArrayList<>();
    if (pool != null) {
      checks.add(pingPostgres(START_PING_TIMEOUT).recover(e -> Future.failedFuture(new ServiceUnreachableException(
          "PostgreSQL at " + postgresUrl.redacted() + " does not answer the Vert.x client: " + e.getMessage(), e))));
    }
    if (redis != null) {
      checks.add(pingRedis(START_PING_TIMEOUT).recover(e -> {
        String message = String.valueOf(e.getMessage());
        String where = "Redis at " + RedisSettings.redact(redisUrl);
        return Future.failedFuture(message.startsWith("NOAUTH") || message.startsWith("WRONGPASS")
            ? new DataServiceException(where + " rejected the login: " + message, e)
            : new ServiceUnreachableException(where + " is unreachable: " + message, e));
      }));
    }
    return Future.all(checks).mapEmpty();
  }

  private <T> Future<T> within(Future<T> operation, Duration timeout, String what) {
    Promise<T> result = Promise.promise();
    long timer = vertx.setTimer(timeout.toMillis(), id -> result.tryFail(new ServiceUnreachableException(
        what + " did not answer within " + timeout.toMillis() + " ms", null)));
    operation.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        result.tryFail(ar.cause());
      }
    });
    return result.future();
  }

  /** The blocking half: embedded servers and migrations. */
  private static final class Servers {
    final EmbeddedPostgresServer embeddedPostgres;
    final PostgresUrl postgresUrl;
    final EmbeddedRedisServer embeddedRedis;
    final String redisUrl;

    Servers(EmbeddedPostgresServer embeddedPostgres, PostgresUrl postgresUrl, EmbeddedRedisServer embeddedRedis,
        String redisUrl) {
      this.embeddedPostgres = embeddedPostgres;
      this.postgresUrl = postgresUrl;
      this.embeddedRedis = embeddedRedis;
      this.redisUrl = redisUrl;
    }

    static Servers start(PostgresSettings postgres, RedisSettings redis) {
      EmbeddedPostgresServer pgServer = null;
      EmbeddedRedisServer redisServer = null;
      try {
        PostgresUrl pgUrl = null;
        if (postgres != null) {
          if (postgres.mode() == ServiceMode.EMBEDDED) {
            pgServer = EmbeddedPostgresServer.start(postgres);
            pgUrl = pgServer.url();
          } else {
            pgUrl = PostgresUrl.parse(postgres.url());
          }
          int applied = Migrations.migrate(pgUrl);
          LOG.info("PostgreSQL {} schema up to date ({} migration(s) applied)", pgUrl.redacted(), applied);
        }
        String url = null;
        if (redis != null) {
          if (redis.mode() == ServiceMode.EMBEDDED) {
            redisServer = EmbeddedRedisServer.start(redis);
            url = redisServer.url();
          } else {
            url = redis.url().trim();
          }
        }
        return new Servers(pgServer, pgUrl, redisServer, url);
      } catch (RuntimeException e) {
        new Servers(pgServer, null, redisServer, null).stop();
        throw e;
      }
    }

    void stop() {
      if (embeddedRedis != null) {
        embeddedRedis.stop();
      }
      if (embeddedPostgres != null) {
        embeddedPostgres.stop();
      }
    }
  }
}
