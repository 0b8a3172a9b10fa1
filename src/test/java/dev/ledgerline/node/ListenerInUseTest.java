package dev.ledgerline.node;

import dev.ledgerline.cli.RunCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.testing.DataRoot;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every listener of a node, with its port already taken: the start is refused with a message naming the key, the
 * port and the address, and {@code ledgerline run} exits 2 with that message.
 */
class ListenerInUseTest {
  @RegisterExtension
  final DataRoot dir = new DataRoot("in-use");
  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();

  /** listener key | the roles and keys that make the node open that listener. */
  static Stream<Arguments> listeners() {
    return Stream.of(
        Arguments.of("gateway.port", "gateway", Map.of()),
        Arguments.of("management.port", "cache", Map.of()),
        Arguments.of("cluster.port", "cache", Map.of("cluster.enabled", "true")),
        Arguments.of("cluster.event-bus-port", "cache", Map.of("cluster.enabled", "true")),
        Arguments.of("postgres.embedded-port", "transactions", Map.of()),
        Arguments.of("redis.embedded-port", "cache", Map.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("listeners")
  void aTakenPortIsRefusedNamingItsKeyAndAddress(String key, String roles, Map<String, String> extra)
      throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Map<String, String> keys = nodeKeys(dir.path(), roles, extra);
      keys.put(key, String.valueOf(port));
      assertThatThrownBy(() -> nodes.start(keys))
          .isInstanceOf(NodeRefusedException.class)
          .hasMessage(key + " " + port + " on 127.0.0.1 is in use");
    }
  }

  /** End to end for one listener: a real JVM exits 2 and prints the same line. */
  @Test
  void runExits2NamingTheTakenPort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), Ledgerline.class.getName(), "run",
          "--set", "node.roles=cache", "--set", "node.data-dir=" + dir.path(),
          "--set", "gateway.port=" + FreePorts.next(), "--set", "management.port=" + port)
          .directory(dir.path().toFile()).redirectErrorStream(true);
      Process p = pb.start();
      try {
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("exited").isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(out).isEqualTo(RunCommand.EXIT_CONFIG);
        assertThat(out).contains("management.port " + port + " on 127.0.0.1 is in use");
      } finally {
        p.destroyForcibly();
      }
    }
  }

  private static Map<String, String> nodeKeys(Path dir, String roles, Map<String, String> extra) {
    Map<String, String> keys = new HashMap<>();
    keys.put("node.roles", roles);
    keys.put("node.data-dir", dir.toString());
    keys.put("postgres.data-dir", dir.resolve("pg").toString());
    int hz = FreePorts.next();
    keys.put("cluster.name", "in-use-" + System.nanoTime());
    keys.put("cluster.port", String.valueOf(hz));
    keys.put("cluster.members", "127.0.0.1:" + hz);
    keys.putAll(extra);
    return keys;
  }
}
