package dev.ledgerline.testing;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import redis.embedded.RedisServer;

/** A real redis-server on 127.0.0.1 and a free port, without persistence, that tests can stop and restart. */
public final class TestRedis implements AutoCloseable {
  private final int port;
  private final RedisServer server;

  private TestRedis(int port) throws IOException {
    this.port = port;
    // Its own directory: a test's SAVE (see restart) never writes into the working directory or another's snapshot.
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("test-redis-");
    dir.toFile().deleteOnExit();
    this.server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
        .setting("save \"\"").setting("appendonly no").setting("dir " + dir).build();
  }

  public static TestRedis start() {
    try {
      TestRedis r = new TestRedis(FreePorts.next());
      r.server.start();
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** A pooled client as the node would create it. */
  public Redis client(Vertx vertx) {
    return Redis.createClient(vertx, new RedisOptions().setConnectionString(uri()).setMaxPoolSize(8)
        .setMaxPoolWaiting(1024));
  }

  public void stop() {
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts again on the same port: with an empty data set, as after a crash without persistence, or with the data of
   * the last {@code SAVE} a test sent, as a Redis with persistence comes back.
   */
  public void restart() {
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (server.isActive()) {
      stop();
    }
  }
}
