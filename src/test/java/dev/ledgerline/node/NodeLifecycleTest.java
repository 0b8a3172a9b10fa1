package dev.ledgerline.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.infra.postgres.PostgresUrl;
import dev.ledgerline.testing.DataRoot;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real node in its own JVM on embedded defaults: ready with PostgreSQL and Redis up, the gateway port open,
 * SIGTERM ends it with exit 0 in time, and what it wrote to PostgreSQL is still there after a restart.
 */
@ExtendWith(VertxExtension.class)
class NodeLifecycleTest {
  // Not JUnit's private temp dir: where PostgreSQL must run as nobody, nobody has to reach the data directory.
  @RegisterExtension
  final DataRoot root = new DataRoot("lifecycle");

  @Test
  void embeddedDefaultsStartStopAndKeepData(Vertx vertx) throws Exception {
    Path dir = root.path();
    int management = FreePorts.next();
    int gateway = FreePorts.next();

    Process first = startNode(dir, management, gateway);
    try {
      JsonObject health = awaitReady(vertx, first, management);
      assertThat(Health.check(health, "postgres").getString("status")).isEqualTo("UP");
      assertThat(Health.check(health, "redis").getString("status")).isEqualTo("UP");
      try (Socket s = new Socket("127.0.0.1", gateway)) {
        assertThat(s.isConnected()).isTrue();
      }
      try (Connection c = connect(dir)) {
        c.createStatement().executeUpdate(
            "INSERT INTO ledgerline_meta (key, value) VALUES ('lifecycle-test', 'kept')");
      }
      assertStopsCleanly(first);
    } finally {
      first.destroyForcibly();
    }

    Process second = startNode(dir, management, gateway);
    try {
      awaitReady(vertx, second, management);
      try (Connection c = connect(dir);
           ResultSet rs = c.createStatement().executeQuery(
               "SELECT value FROM ledgerline_meta WHERE key = 'lifecycle-test'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("kept");
      }
      assertStopsCleanly(second);
    } finally {
      second.destroyForcibly();
    }
  }

  private static Process startNode(Path dir, int management, int gateway) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path")));
    String runAs = System.getProperty("embedded.run-as");
    if (runAs != null) {
      cmd.add("-Dembedded.run-as=" + runAs);
    }
    cmd.addAll(List.of(Ledgerline.class.getName(), "run", "--set", "management.port=" + management,
        "--set", "gateway.port=" + gateway, "--set", "providers.sandbox.port=0"));
    return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("node-" + System.nanoTime() + ".log").toFile()).start();
  }

  private static JsonObject awaitReady(Vertx vertx, Process node, int port) {
    JsonObject[] last = {null};
    Poll.until(Duration.ofSeconds(120), "the node is ready", () -> {
      assertThat(node.isAlive()).as("node process alive").isTrue();
      try {
        var r = Health.ready(vertx, port);
        last[0] = r.getValue();
        return r.getKey() == 200;
      } catch (Exception e) { // the connect failure as it came: not listening yet
        return false;
      }
    });
    return last[0];
  }

  private static void assertStopsCleanly(Process node) throws InterruptedException {
    node.destroy(); // SIGTERM
    // A bound against hanging, not a speed check: stopping includes a PostgreSQL checkpoint, slow on a busy disk.
    assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
    assertThat(node.exitValue()).isZero();
  }

  private static Connection connect(Path dir) throws Exception {
    // The data/ directory is relative to the node's working directory; the node publishes its servers' URLs there.
    JsonObject urls = new JsonObject(Files.readString(dir.resolve("data").resolve(EmbeddedServices.URLS_FILE)));
    PostgresUrl url = PostgresUrl.parse(urls.getString("postgres"));
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }
}
