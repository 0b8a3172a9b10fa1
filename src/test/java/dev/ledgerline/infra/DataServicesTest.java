package dev.ledgerline.infra;

import dev.ledgerline.infra.postgres.EmbeddedPostgresServer;
import dev.ledgerline.infra.postgres.MigrationException;
import dev.ledgerline.infra.postgres.Migrations;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.infra.postgres.PostgresUrl;
import dev.ledgerline.infra.redis.RedisSettings;
import static dev.ledgerline.testing.Futures.await;
import static dev.ledgerline.testing.Futures.failureOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import dev.ledgerline.testing.DataRoot;
import dev.ledgerline.testing.TestData;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One node with embedded PostgreSQL and Redis; other instances connect to it in EXTERNAL mode. */
@ExtendWith(VertxExtension.class)
class DataServicesTest {
  @RegisterExtension
  static final DataRoot root = new DataRoot("ledgerline-services-test");
  private static Vertx vertx;
  private static DataServices embedded;

  @BeforeAll
  static void start(Vertx shared) throws Throwable {
    vertx = shared;
    embedded = await(DataServices.start(vertx, TestData.copiedCluster(root.resolve("pg")), RedisSettings.embedded()));
  }

  @AfterAll
  static void stop() throws Throwable {
    if (embedded != null) {
      await(embedded.close());
    }
  }

  @Test
  void externalModeUsesServersThatAlreadyRun() throws Throwable {
    String pgUrl = embedded.postgresUrl().orElseThrow().url();
    String redisUrl = embedded.redisUrl().orElseThrow();
    await(embedded.pool().preparedQuery(
        "INSERT INTO ledgerline_meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2")
        .execute(Tuple.of("external.check", "written-by-embedded")));
    await(embedded.redisApi().set(List.of("external.check", "from-embedded")));

    DataServices external = await(DataServices.start(vertx, PostgresSettings.external(pgUrl),
        RedisSettings.external(redisUrl)));
    try {
      assertThat(external.embeddedPostgres()).isEmpty();
      assertThat(external.embeddedRedis()).isEmpty();
      assertThat(await(external.pool().preparedQuery("SELECT value FROM ledgerline_meta WHERE key = $1")
          .execute(Tuple.of("external.check"))).iterator().next().getString(0)).isEqualTo("written-by-embedded");
      assertThat(await(external.redisApi().get("external.check")).toString()).isEqualTo("from-embedded");
      await(external.pingPostgres());
      await(external.pingRedis());
    } finally {
      await(external.close());
    }
    // Closing a client of external servers leaves the servers alone.
    await(embedded.pingPostgres());
    await(embedded.pingRedis());
  }

  @Test
  void unreachableExternalPostgresIsReported() throws Exception {
    int closed = Processes.freeLoopbackPort();
    Throwable failure = failureOf(DataServices.startPostgres(vertx,
        PostgresSettings.external("postgresql://ledgerline:secret@127.0.0.1:" + closed + "/ledgerline")));
    assertThat(failure).isInstanceOf(ServiceUnreachableException.class)
        .hasMessageContaining("127.0.0.1:" + closed)
        .hasMessageNotContaining("secret");
  }

  @Test
  void unreachableExternalRedisIsReported() throws Exception {
    int closed = Processes.freeLoopbackPort();
    Throwable failure = failureOf(DataServices.startRedis(vertx,
        RedisSettings.external("redis://:secret@127.0.0.1:" + closed)));
    assertThat(failure).isInstanceOf(ServiceUnreachableException.class)
        .hasMessageContaining("127.0.0.1:" + closed)
        .hasMessageNotContaining("secret");
  }

  @Test
  void wrongExternalCredentialsAreReported() throws Exception {
    PostgresUrl good = embedded.postgresUrl().orElseThrow();
    PostgresUrl bad = new PostgresUrl(good.host(), good.port(), good.database(), good.user(), "not-the-password");
    Throwable failure = failureOf(DataServices.startPostgres(vertx, PostgresSettings.external(bad.url())));
    assertThat(failure).isInstanceOf(DataServiceException.class).hasMessageContaining("rejected the login");
  }

  @Test
  void wrongExternalRedisPasswordIsReported() throws Exception {
    String url = embedded.redisUrl().orElseThrow().replaceFirst("redis://:[^@]+@", "redis://:not-the-password@");
    Throwable failure = failureOf(DataServices.startRedis(vertx, RedisSettings.external(url)));
    assertThat(failure).isInstanceOf(DataServiceException.class).hasMessageContaining("rejected the login")
        .hasMessageNotContaining("not-the-password");
  }

  @Test
  void failedMigrationIsReportedAndRolledBack() throws Exception {
    PostgresUrl url = embedded.postgresUrl().orElseThrow();
    try (Connection c = EmbeddedPostgresServer.connect(url); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE broken_migrations");
    }
    PostgresUrl broken = url.withDatabase("broken_migrations");
    assertThatThrownBy(() -> Migrations.migrate(broken, "classpath:db/broken"))
        .isInstanceOf(MigrationException.class)
        .hasMessageContaining("V2__fails.sql");
    try (Connection c = EmbeddedPostgresServer.connect(broken); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('broken_ok') IS NOT NULL, "
             + "to_regclass('broken_bad') IS NOT NULL")) {
      rs.next();
      assertThat(rs.getBoolean(1)).as("V1 applied").isTrue();
      assertThat(rs.getBoolean(2)).as("V2 rolled back").isFalse();
    }
  }

  @Test
  void migrationsAreIdempotent() {
    assertThat(Migrations.migrate(embedded.postgresUrl().orElseThrow())).isZero();
  }

  @Test
  void aServiceThatIsNotConfiguredIsReportedAsSuch() throws Throwable {
    DataServices redisOnly = await(DataServices.startRedis(vertx,
        RedisSettings.external(embedded.redisUrl().orElseThrow())));
    try {
      assertThat(redisOnly.hasPostgres()).isFalse();
      assertThat(redisOnly.hasRedis()).isTrue();
      assertThat(failureOf(redisOnly.pingPostgres())).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not configured");
      assertThatThrownBy(redisOnly::pool).isInstanceOf(IllegalStateException.class);
      await(redisOnly.pingRedis());
    } finally {
      await(redisOnly.close());
    }
  }

  @Test
  void aPingFailsWhenTheServerStopsAnswering() throws Throwable {
    await(embedded.pingRedis());
    long pid = embedded.embeddedRedis().orElseThrow().pid();
    signal("STOP", pid); // frozen: the connection stays open but nothing answers
    try {
      assertThat(failureOf(embedded.pingRedis(Duration.ofMillis(300))))
          .isInstanceOf(ServiceUnreachableException.class)
          .hasMessageContaining("did not answer within 300 ms");
    } finally {
      signal("CONT", pid);
    }
    await(embedded.pingRedis());
  }

  private static void signal(String signal, long pid) {
    assertThat(Processes.signal(signal, pid)).as("kill -%s %d", signal, pid).isTrue();
  }
}
