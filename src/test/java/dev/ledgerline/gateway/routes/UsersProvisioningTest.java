package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.auth.JwtSettings;
import dev.ledgerline.gateway.auth.TokenIssuer;
import dev.ledgerline.gateway.auth.UserCheck;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.node.Node;
import dev.ledgerline.node.TestNodes;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auth.users.auto-provision: false}: a valid token of an unknown subject is refused until the user is
 * created, here with {@code ledgerline users create} beside the running node (its change reaches the node's cache
 * through PostgreSQL NOTIFY, although the node had cached the subject as unknown).
 */
class UsersProvisioningTest {
  @TempDir
  static Path dir;
  private static Node node;
  private static Vertx vertx;
  private static ApiClient api;
  private static JwtSettings jwt;

  @BeforeAll
  static void start() {
    int port = TestNodes.freePort();
    ConfigService config = TestNodes.config(Map.of("node.data-dir", dir.resolve("data").toString(),
        "postgres.data-dir", dir.resolve("pg").toString(), "ledger.engine.data-dir", dir.resolve("ledger").toString(),
        "gateway.port", String.valueOf(port), "auth.users.auto-provision", "false"));
    node = new Node(config).start().await();
    jwt = JwtSettings.from(config.current());
    vertx = Vertx.vertx();
    api = new ApiClient(vertx, port);
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      vertx.close().await();
    }
    if (node != null) {
      node.stop().join();
    }
  }

  @Test
  void anUnknownSubjectIsRefusedUntilAnOperatorCreatesTheUser() throws InterruptedException {
    String token = TokenIssuer.issue(jwt, "gina", Set.of(Role.ADMIN), Duration.ofMinutes(10), Instant.now());
    Answer refused = api.get("/v1/accounts/1", token);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().getString("type")).isEqualTo(UserCheck.TYPE_UNKNOWN);

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Ledgerline.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute("users", "create", "gina", "--roles", "user", "--set",
        "postgres.data-dir=" + dir.resolve("pg"));
    assertThat(exit).as(err.toString()).isZero();

    // The token claimed admin; the stored user is what counts.
    Poll.until(Duration.ofSeconds(10), "the node to hear of the new user",
        () -> api.get("/v1/accounts/1", token).status() == 404);
    assertThat(api.get("/v1/admin/users", token).status()).isEqualTo(403);
  }
}
