package dev.ledgerline.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.node.Node;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.ConnectException;
import java.net.Socket;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension as the gateway tests use it: one node for the class, tokens for several users, an HTTP client. */
@TestMethodOrder(OrderAnnotation.class)
class NodeExtensionTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();
  private static int startedInATestPort;

  @Test
  @Order(1)
  void theNodeServesItsUsersThroughTheGatewayOnEmbeddedServices(WebClient web, Tokens tokens) {
    assertThat(node.ready().getKey()).isEqualTo(200);
    assertThat(Health.check(node.ready().getValue(), "postgres").getString("status")).isEqualTo("UP");
    assertThat(Health.check(node.ready().getValue(), "redis").getString("status")).isEqualTo("UP");
    HttpResponse<Buffer> created = web.post("/v1/accounts").bearerTokenAuthentication(tokens.user("alice"))
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"ledger\":1,\"code\":1}"))
        .await();
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String account = "/v1/accounts/" + created.bodyAsJsonObject().getString("id");
    assertThat(web.get(account).bearerTokenAuthentication(tokens.user("alice")).send().await().statusCode())
        .isEqualTo(200);
    assertThat(web.get(account).bearerTokenAuthentication(tokens.user("bob")).send().await().statusCode())
        .isEqualTo(404);
    assertThat(web.get(account).bearerTokenAuthentication(tokens.operator("ops")).send().await().statusCode())
        .isEqualTo(200);
  }

  @Test
  @Order(2)
  void aTestMayStartMoreNodes(NodeExtension nodes, Node first) {
    startedInATestPort = FreePorts.next();
    Node more = nodes.start(Map.of("node.roles", "cache", "management.port", String.valueOf(startedInATestPort)));
    assertThat(more.id()).isNotEqualTo(first.id());
    assertThat(Health.ready(nodes.client(), startedInATestPort).getKey()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void whichAreStoppedAfterThatTestWhileTheClassNodeRuns() {
    assertThatThrownBy(() -> new Socket("127.0.0.1", startedInATestPort).close())
        .isInstanceOf(ConnectException.class);
    assertThat(node.ready().getKey()).isEqualTo(200);
  }
}
