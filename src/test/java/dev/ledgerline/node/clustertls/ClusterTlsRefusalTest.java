package dev.ledgerline.node.clustertls;

import static dev.ledgerline.node.clustertls.ClusterTlsTest.file;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.node.NodeRefusedException;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Clustered configurations a node refuses before it binds or joins anything (exit 2 from {@code run}). */
class ClusterTlsRefusalTest {
  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();

  /** case | cluster.host | cluster.tls.* (enabled when any is given) | the refusal says. */
  static Stream<Arguments> refusals() {
    String cert = file("node.pem");
    String key = file("node.key");
    String ca = file("cluster-ca.pem");
    return Stream.of(
        Arguments.of("all interfaces, no TLS", "0.0.0.0", tls(null, null, null),
            "cluster.host = \"0.0.0.0\" is not a loopback address, so cluster.tls.enabled must be true"),
        Arguments.of("a routable address, no TLS", "10.11.12.13", tls(null, null, null),
            "cluster.host = \"10.11.12.13\" is not a loopback address"),
        Arguments.of("TLS without a certificate", "127.0.0.1", tls("", key, ca),
            "cluster.tls.cert is required when cluster.tls.enabled is true"),
        Arguments.of("TLS without a trust store", "0.0.0.0", tls(cert, key, ""),
            "cluster.tls.trust is required"),
        Arguments.of("TLS with a missing key file", "127.0.0.1", tls(cert, "/nonexistent/node.key", ca),
            "cluster.tls.key = \"/nonexistent/node.key\" is not a readable file"),
        Arguments.of("TLS with a certificate as the key", "127.0.0.1", tls(cert, cert, ca),
            "cluster.tls: cannot use cert"));
  }

  private static Map<String, String> tls(String cert, String key, String trust) {
    Map<String, String> m = new HashMap<>();
    if (cert != null) {
      m.put("cluster.tls.enabled", "true");
      m.put("cluster.tls.cert", cert);
      m.put("cluster.tls.key", key);
      m.put("cluster.tls.trust", trust);
    }
    return m;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void refused(String name, String host, Map<String, String> tls, String says) {
    int port = FreePorts.next();
    Map<String, String> keys = new HashMap<>(tls);
    keys.put("cluster.enabled", "true");
    keys.put("cluster.host", host);
    keys.put("cluster.port", String.valueOf(port));
    keys.put("cluster.members", "127.0.0.1:" + port);
    keys.put("node.roles", "cache");
    assertThatThrownBy(() -> nodes.start(keys)).isInstanceOf(NodeRefusedException.class).hasMessageContaining(says);
  }
}
