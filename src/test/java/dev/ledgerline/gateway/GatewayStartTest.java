package dev.ledgerline.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.cli.RunCommand;
import dev.ledgerline.gateway.auth.DevKeys;
import dev.ledgerline.gateway.auth.NoVerificationKeysException;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The gateway role and its keys, on a real node. */
class GatewayStartTest {
  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();

  /** {@code ledgerline run} of a gateway on free ports with one more key: its exit code, its errors in {@code err}. */
  private static int runGateway(Path data, StringWriter err, String set) {
    return Ledgerline.commandLine().setErr(new PrintWriter(err)).execute("run", "--set", "node.roles=gateway",
        "--set", "node.data-dir=" + data, "--set", set,
        "--set", "gateway.port=" + FreePorts.next(), "--set", "management.port=" + FreePorts.next());
  }

  @Test
  void gatewayNodeWithoutKeysRefusesToStart(@TempDir Path data) {
    assertThatThrownBy(() -> nodes.start(Map.of("node.roles", "gateway", "node.data-dir", data.toString(),
        "auth.jwt.dev-keys", "false"))).isInstanceOf(NoVerificationKeysException.class);
    assertThat(data.resolve("keys")).doesNotExist();
  }

  @Test
  void runExits2NamingTheKeyWhenTheGatewayHasNoKeys(@TempDir Path data) {
    StringWriter err = new StringWriter();
    int code = runGateway(data, err, "auth.jwt.dev-keys=false");
    assertThat(code).isEqualTo(RunCommand.EXIT_CONFIG);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("auth.jwt.public-keys");
  }

  /** The default dev-keys auto on a gateway other machines can reach, with no key: exit 2 before listening. */
  @Test
  void runExits2WhenAReachableGatewayHasOnlyDevelopmentKeys(@TempDir Path data) {
    StringWriter err = new StringWriter();
    int code = runGateway(data, err, "gateway.host=0.0.0.0");
    assertThat(code).isEqualTo(RunCommand.EXIT_CONFIG);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("auth.jwt.dev-keys")
        .contains("gateway.host is not a loopback address");
    assertThat(data.resolve("keys")).doesNotExist();
  }

  @Test
  void gatewayNodeOnEmbeddedDefaultsStartsWithDevelopmentKeys(@TempDir Path data) {
    Node node = nodes.start(Map.of("node.roles", "gateway", "node.data-dir", data.toString()));
    assertThat(DevKeys.privateKeyFile(data)).exists();
    // The node built one authenticator for all its gateway instances (one cache, one JWKS watcher).
    assertThat(node.gateway()).isNotNull();
    assertThat(node.gateway().authenticator()).isNotNull();
  }
}
