package dev.ledgerline.gateway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.gateway.auth.UserCheck;
import dev.ledgerline.gateway.routes.ApiClient.Answer;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code auth.users.auto-provision: false}: a valid token of an unknown subject is refused until the user is
 * created, here with {@code ledgerline users create} beside the running node (its change reaches the node's cache
 * through PostgreSQL NOTIFY, although the node had cached the subject as unknown).
 */
class UsersProvisioningTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().set("auth.users.auto-provision", "false").build();
  private static ApiClient api;

  @BeforeAll
  static void start() {
    api = new ApiClient(node.client(), node.gatewayPort());
  }

  @Test
  void anUnknownSubjectIsRefusedUntilAnOperatorCreatesTheUser() throws InterruptedException {
    String token = node.tokens().issue("gina", Role.ADMIN);
    Answer refused = api.get("/v1/accounts/1", token);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().getString("type")).isEqualTo(UserCheck.TYPE_UNKNOWN);

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Ledgerline.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute("users", "create", "gina", "--roles", "user", "--set",
        "postgres.data-dir=" + node.config().current().postgres().dataDir());
    assertThat(exit).as(err.toString()).isZero();

    // The token claimed admin; the stored user is what counts.
    Poll.until(Duration.ofSeconds(10), "the node to hear of the new user",
        () -> api.get("/v1/accounts/1", token).status() == 404);
    assertThat(api.get("/v1/admin/users", token).status()).isEqualTo(403);
  }
}
