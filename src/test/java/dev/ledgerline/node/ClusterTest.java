package dev.ledgerline.node;

import static dev.ledgerline.testing.Health.check;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.node.NodeApi.NodeInfo;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Three real Hazelcast members on loopback, each its own Vert.x, in one JVM. */
class ClusterTest {
  @RegisterExtension
  static final NodeExtension cluster = NodeExtension.nodes();
  private static final List<Node> nodes = new ArrayList<>();
  private static final List<Integer> managementPorts = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    int[] hz = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
    String members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1] + ",127.0.0.1:" + hz[2];
    String name = "test-" + System.nanoTime();
    String[] roles = {"ledger", "cache", "cache"};
    for (int i = 0; i < 3; i++) {
      int mgmt = FreePorts.next();
      managementPorts.add(mgmt);
      nodes.add(cluster.start(Map.of("cluster.enabled", "true", "cluster.name", name,
          "cluster.port", String.valueOf(hz[i]), "cluster.members", members, "node.id", "n" + (i + 1),
          "node.roles", roles[i], "management.port", String.valueOf(mgmt))));
    }
  }

  @Test
  void requestFromNode3IsAnsweredByAConsumerOnlyOnNode1AndSurvivesNode2Leaving() {
    Node n1 = nodes.get(0);
    Node n2 = nodes.get(1);
    Node n3 = nodes.get(2);
    AtomicReference<Object> received = new AtomicReference<>();
    var consumer = n1.vertx().eventBus().<NodeInfo>consumer("test.echo", (Message<NodeInfo> m) -> {
      received.set(m.body());
      m.reply(n1.info());
    });
    consumer.completion().await();

    NodeInfo sent = new NodeInfo("from-n3", List.of("cache", "ünïcode"), 42L);
    NodeInfo reply = n3.vertx().eventBus().<NodeInfo>request("test.echo", sent).await().body();
    // The codec carried both directions over the wire: node 1 decoded node 3's record and vice versa.
    assertThat(received.get()).isEqualTo(sent).isNotSameAs(sent);
    assertThat(reply.nodeId()).isEqualTo("n1");
    assertThat(reply.roles()).containsExactly("ledger");

    for (int port : managementPorts) {
      Poll.until(Duration.ofSeconds(30), "three members seen on " + port, () -> members(port) == 3);
    }

    n2.stop().join();
    Poll.until(Duration.ofSeconds(30), "node 2 gone", () -> members(managementPorts.get(0)) == 2
        && members(managementPorts.get(2)) == 2);
    NodeInfo again = n3.vertx().eventBus().<NodeInfo>request("test.echo", sent).await().body();
    assertThat(again.nodeId()).isEqualTo("n1");
    var health = Health.ready(cluster.client(), managementPorts.get(2));
    assertThat(health.getKey()).isEqualTo(200);
  }

  private static int members(int port) {
    var resp = Health.ready(cluster.client(), port);
    JsonObject data = check(resp.getValue(), "cluster").getJsonObject("data");
    return data.getInteger("members");
  }
}
