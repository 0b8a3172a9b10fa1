package dev.ledgerline.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.stream.StreamResumeTest.StreamClient;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Tokens;
import dev.ledgerline.users.Role;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cursor outlives the node that gave it: after a restart (same PostgreSQL, same ledger), the default cursor key,
 * generated once and kept in PostgreSQL, still authenticates it, and the transfers the client missed are replayed.
 */
class StreamRestartResumeTest {
  @RegisterExtension
  static final NodeExtension nodes = NodeExtension.nodes();

  @TempDir
  Path dir;

  @Test
  void aCursorFromBeforeARestartResumesOnTheRestartedNode() throws Exception {
    int port = FreePorts.next();
    ConfigService config = config(port);
    Node first = nodes.start(config);
    Tokens tokens = Tokens.of(config);
    String user = tokens.issue("restart-user", Role.USER);
    WebClient web = WebClient.create(nodes.client());
    String from = StreamResumeTest.created(StreamResumeTest.post(web, port, user, "/v1/accounts",
        "{\"ledger\":1,\"code\":1}"));
    String to = StreamResumeTest.created(StreamResumeTest.post(web, port, user, "/v1/accounts",
        "{\"ledger\":1,\"code\":1}"));
    StreamClient c = StreamResumeTest.open(nodes.client(), port, user);
    String cursor = c.subscribe(to, null).getJsonObject("cursors").getString(to);
    c.socket.close().await();

    List<String> missed = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      missed.add(StreamResumeTest.created(StreamResumeTest.post(web, port, user, "/v1/transfers",
          StreamResumeTest.transfer(from, to))));
    }
    first.stop().join();
    // The same data on another port (the old one may linger in TIME_WAIT).
    int after = FreePorts.next();
    nodes.start(config(after));

    StreamClient again = StreamResumeTest.open(nodes.client(), after, user);
    JsonObject resumed = again.subscribe(to, cursor);
    assertThat(resumed.getString("type")).as(resumed.encode()).isEqualTo("subscribed");
    List<String> replayed = new ArrayList<>();
    for (int i = 0; i < missed.size(); i++) {
      JsonObject f = again.next();
      assertThat(f.getString("type")).isEqualTo("transfer");
      assertThat(f.getBoolean("replay")).isTrue();
      replayed.add(f.getJsonObject("transfer").getString("id"));
    }
    assertThat(replayed).containsExactlyElementsOf(missed);
    again.socket.close().await();
  }

  private ConfigService config(int port) {
    return NodeExtension.configWith(Map.of("node.roles", "gateway,ledger", "gateway.port", String.valueOf(port),
        "gateway.rate-limits", NodeExtension.RATE_LIMITS_NEVER_BIND, "postgres.data-dir", dir.resolve("pg").toString(),
        "ledger.engine.data-dir", dir.resolve("ledger").toString(), "node.data-dir", dir.resolve("node").toString()));
  }
}
