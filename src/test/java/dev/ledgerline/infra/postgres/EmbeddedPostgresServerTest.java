package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.DataDirectoryException;
import dev.ledgerline.infra.DataServiceException;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.PortInUseException;
import dev.ledgerline.infra.Processes;
import dev.ledgerline.infra.RunAs;
import static dev.ledgerline.testing.Futures.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import dev.ledgerline.testing.DataRoot;
import dev.ledgerline.testing.TestData;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

@ExtendWith(VertxExtension.class)
class EmbeddedPostgresServerTest {

  private static Vertx vertx;
  @RegisterExtension
  final DataRoot root = new DataRoot("ledgerline-pg-test");

  @BeforeAll
  static void vertx(Vertx shared) {
    vertx = shared;
  }

  @Test
  void migratesAndKeepsDataAcrossRestart() throws Throwable {
    PostgresSettings settings = PostgresSettings.embedded(root.resolve("pg"));

    DataServices first = await(DataServices.startPostgres(vertx, settings));
    long applied;
    try {
      applied = await(first.pool().query("SELECT count(*) AS n FROM flyway_schema_history").execute())
          .iterator().next().getLong("n");
      assertThat(await(first.pool().query(
          "SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank")
          .execute()).iterator().next().toJson().getMap())
          .containsEntry("version", "1").containsEntry("success", true);
      await(first.pool().preparedQuery("INSERT INTO ledgerline_meta(key, value) VALUES ($1, $2)")
          .execute(Tuple.of("node.first-start", "yes")));
      await(first.pingPostgres());
    } finally {
      await(first.close());
    }
    assertThat(first.embeddedPostgres().orElseThrow().isRunning()).isFalse();
    assertThat(first.pingPostgres().failed()).isTrue();

    DataServices second = await(DataServices.startPostgres(vertx, settings));
    try {
      Row row = await(second.pool().preparedQuery("SELECT value, updated_at FROM ledgerline_meta WHERE key = $1")
          .execute(Tuple.of("node.first-start"))).iterator().next();
      assertThat(row.getString("value")).isEqualTo("yes");
      assertThat(row.getOffsetDateTime("updated_at")).isNotNull();
      Row history = await(second.pool().query("SELECT count(*) AS n FROM flyway_schema_history").execute())
          .iterator().next();
      assertThat(history.getLong("n")).as("migrations are applied once, not again on restart").isEqualTo(applied);
    } finally {
      await(second.close());
    }
  }

  @Test
  void listensOnLoopbackOnlyWithPasswordAndNoSocket() throws Exception {
    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(TestData.copiedCluster(root.resolve("pg")))) {
      PostgresUrl url = server.url();
      assertThat(url.host()).isEqualTo("127.0.0.1");
      assertThat(url.password()).as("generated password").hasSizeGreaterThanOrEqualTo(32);
      assertThat(Files.readString(server.dataDir().resolve("password")).trim()).isEqualTo(url.password());
      assertThat(Files.getPosixFilePermissions(server.dataDir().resolve("password")))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      try (Connection c = EmbeddedPostgresServer.connect(url); Statement s = c.createStatement()) {
        assertThat(single(s, "SHOW listen_addresses")).isEqualTo("127.0.0.1");
        assertThat(single(s, "SHOW unix_socket_directories")).isEmpty();
        assertThat(single(s, "SELECT host(inet_server_addr())")).isEqualTo("127.0.0.1");
        assertThat(single(s, "SHOW password_encryption")).isEqualTo("scram-sha-256");
      }
      assertThatThrownBy(() -> EmbeddedPostgresServer.connect(
          new PostgresUrl("127.0.0.1", url.port(), url.database(), url.user(), "wrong")).close())
          .hasMessageContaining("password authentication failed");
      for (InetAddress other : nonLoopbackAddresses()) {
        try (Socket socket = new Socket()) {
          assertThatThrownBy(() -> socket.connect(new InetSocketAddress(other, url.port()), 1000))
              .as("connect via %s", other).isInstanceOf(java.io.IOException.class);
        }
      }
    }
  }

  @Test
  void refusesASecondServerOnTheSameDataDirectory() throws Exception {
    PostgresSettings settings = TestData.copiedCluster(root.resolve("pg"));
    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings)) {
      assertThatThrownBy(() -> EmbeddedPostgresServer.start(settings))
          .isInstanceOf(DataDirectoryException.class)
          .hasMessageContaining("in use by another running node");
      assertThat(server.isRunning()).isTrue();
    }
  }

  @Test
  void reportsAFixedPortThatIsTaken() throws Exception {
    PostgresSettings copy = TestData.copiedCluster(root.resolve("pg"));
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      PostgresSettings settings = copy.withPort(taken.getLocalPort());
      assertThatThrownBy(() -> EmbeddedPostgresServer.start(settings))
          .isInstanceOfSatisfying(PortInUseException.class,
              e -> assertThat(e.port()).isEqualTo(taken.getLocalPort()))
          .hasMessageContaining("already in use");
    }
    // The refused start released the directory: a start on a free port works.
    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(copy)) {
      assertThat(server.isRunning()).isTrue();
    }
  }

  @Test
  void reportsADataDirectoryThatCannotBeCreated() throws Exception {
    Path file = Files.writeString(root.resolve("not-a-dir"), "x");
    assertThatThrownBy(() -> EmbeddedPostgresServer.start(PostgresSettings.embedded(file.resolve("pg"))))
        .isInstanceOf(DataDirectoryException.class)
        .hasMessageContaining(file.resolve("pg").toString());
  }

  @Test
  void reportsAPasswordThatDoesNotMatchTheCluster() {
    PostgresSettings settings = PostgresSettings.embedded(root.resolve("pg")).withPassword("first-secret");
    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings)) {
      assertThat(server.url().password()).isEqualTo("first-secret");
    }
    assertThatThrownBy(() -> EmbeddedPostgresServer.start(settings.withPassword("second-secret")))
        .isInstanceOf(DataServiceException.class)
        .hasMessageContaining("differs from the one the cluster");
  }

  @Test
  void asRootRunsUnprivilegedAndSwitchesBackToAUserNamespace() throws Exception {
    assumeTrue(Processes.isRoot(), "only root needs to drop privileges");
    assumeTrue(Processes.onPath("setpriv"), "setpriv missing");
    PostgresSettings settings = PostgresSettings.embedded(root.resolve("pg"));
    long nobody = RunAs.nobody()[0];
    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings, RunAs.UNPRIVILEGED_USER)) {
      assertThat(uid(server.dataDir().resolve("pgdata"))).isEqualTo(nobody);
      assertThat(ProcessHandle.of(server.pid()).orElseThrow().info().user()).hasValue("nobody");
      write(server.url(), "unprivileged");
    }
    assumeTrue(RunAs.forPostgres() == RunAs.USER_NAMESPACE, "user namespaces unavailable here");
    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings, RunAs.USER_NAMESPACE)) {
      assertThat(uid(server.dataDir().resolve("pgdata"))).isZero();
      assertThat(read(server.url())).containsExactly("unprivileged");
    }
  }

  @Test
  void asRootExplainsADataDirectoryNobodyCannotReach() throws Exception {
    assumeTrue(Processes.isRoot(), "only root needs to drop privileges");
    assumeTrue(Processes.onPath("setpriv"), "setpriv missing");
    Path closed = Files.createDirectory(root.resolve("closed"));
    Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
    assertThatThrownBy(() -> EmbeddedPostgresServer.start(PostgresSettings.embedded(closed.resolve("pg")),
        RunAs.UNPRIVILEGED_USER))
        .isInstanceOf(DataDirectoryException.class)
        .hasMessageContaining("cannot reach");
  }

  static void write(PostgresUrl url, String value) throws Exception {
    try (Connection c = EmbeddedPostgresServer.connect(url); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS probe(value text)");
      s.execute("INSERT INTO probe VALUES ('" + value + "')");
    }
  }

  static List<String> read(PostgresUrl url) throws Exception {
    List<String> values = new ArrayList<>();
    try (Connection c = EmbeddedPostgresServer.connect(url); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT value FROM probe")) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }

  private static String single(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long uid(Path path) throws Exception {
    return ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
  }

  private static List<InetAddress> nonLoopbackAddresses() throws Exception {
    List<InetAddress> found = new ArrayList<>();
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
          found.add(address);
        }
      }
    }
    return found;
  }
}
