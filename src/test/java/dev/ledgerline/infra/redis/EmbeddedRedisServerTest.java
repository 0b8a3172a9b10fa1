package dev.ledgerline.infra.redis;

import dev.ledgerline.infra.DataDirectoryException;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.PortInUseException;
import dev.ledgerline.infra.Processes;
import static dev.ledgerline.testing.Futures.await;
import static dev.ledgerline.testing.Futures.failureOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class EmbeddedRedisServerTest {

  private static Vertx vertx;

  @BeforeAll
  static void vertx(Vertx shared) {
    vertx = shared;
  }

  @Test
  void setGetThenPingFailsOnceTheServerIsStopped() throws Throwable {
    DataServices services = await(DataServices.startRedis(vertx, RedisSettings.embedded()));
    try {
      assertThat(services.hasPostgres()).isFalse();
      await(services.redisApi().set(List.of("ledgerline:test", "42")));
      assertThat(await(services.redisApi().get("ledgerline:test")).toString()).isEqualTo("42");
      await(services.pingRedis());

      EmbeddedRedisServer server = services.embeddedRedis().orElseThrow();
      server.stop();
      assertThat(server.isRunning()).isFalse();
      assertThat(failureOf(services.pingRedis())).isNotNull();
    } finally {
      await(services.close());
    }
    assertThat(failureOf(services.pingRedis())).hasMessageContaining("closed");
  }

  @Test
  void listensOnLoopbackOnlyAndRequiresItsPassword() throws Throwable {
    try (EmbeddedRedisServer server = EmbeddedRedisServer.start(RedisSettings.embedded())) {
      assertThat(server.url()).startsWith("redis://:").endsWith("@127.0.0.1:" + server.port());
      Redis anonymous = Redis.createClient(vertx, "redis://127.0.0.1:" + server.port());
      try {
        assertThat(failureOf(RedisAPI.api(anonymous).ping(List.of()))).hasMessageContaining("NOAUTH");
      } finally {
        await(anonymous.close());
      }
      Redis client = Redis.createClient(vertx, server.url());
      try {
        assertThat(await(RedisAPI.api(client).config(List.of("GET", "bind"))).get("bind").toString())
            .isEqualTo("127.0.0.1");
        assertThat(await(RedisAPI.api(client).config(List.of("GET", "save"))).get("save").toString())
            .as("no snapshots").isEmpty();
      } finally {
        await(client.close());
      }
      if (Processes.isRoot() && Processes.onPath("setpriv")) {
        assertThat(ProcessHandle.of(server.pid()).orElseThrow().info().user()).hasValue("nobody");
      }
    }
  }

  @Test
  void withADataDirectoryTheAppendOnlyFileKeepsDataAcrossARestartAndLocksTheDirectory(@TempDir Path root)
      throws Throwable {
    // When tests run as root the server runs as nobody, which must pass through the temporary directory.
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
    Path dir = root.resolve("redis");
    try (EmbeddedRedisServer first = EmbeddedRedisServer.start(RedisSettings.embedded(dir))) {
      Redis client = Redis.createClient(vertx, first.url());
      try {
        RedisAPI api = RedisAPI.api(client);
        assertThat(await(api.config(List.of("GET", "appendonly"))).get("appendonly").toString()).isEqualTo("yes");
        assertThat(await(api.config(List.of("GET", "appendfsync"))).get("appendfsync").toString())
            .isEqualTo("everysec");
        await(api.set(List.of("ledgerline:kept", "across-restarts", "PX", "600000")));
      } finally {
        await(client.close());
      }
      assertThatThrownBy(() -> EmbeddedRedisServer.start(RedisSettings.embedded(dir)))
          .isInstanceOf(DataDirectoryException.class).hasMessageContaining("in use");
    }
    // A clean stop (SIGTERM) flushes the file; the next server on the directory reads it back.
    try (EmbeddedRedisServer second = EmbeddedRedisServer.start(RedisSettings.embedded(dir))) {
      Redis client = Redis.createClient(vertx, second.url());
      try {
        assertThat(await(RedisAPI.api(client).get("ledgerline:kept")).toString()).isEqualTo("across-restarts");
        assertThat(await(RedisAPI.api(client).pttl("ledgerline:kept")).toLong()).as("expiry kept").isPositive();
      } finally {
        await(client.close());
      }
    }
    assertThat(dir.resolve("appendonly.aof")).exists();
  }

  @Test
  void reportsAFixedPortThatIsTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> EmbeddedRedisServer.start(RedisSettings.embedded().withPort(taken.getLocalPort())))
          .isInstanceOf(PortInUseException.class)
          .hasMessageContaining(Integer.toString(taken.getLocalPort()));
    }
  }
}
