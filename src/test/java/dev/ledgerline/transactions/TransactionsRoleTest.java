package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The transactions role on its own, with Temporal in process: it starts, reports Temporal, and starts workflows. */
class TransactionsRoleTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("transactions").set("temporal.target", "inprocess")
      .build();

  @Test
  void theRoleStartsWithTheInProcessServerAndStartsEachPaymentOnce() {
    assertThat(node.ready().getKey()).isEqualTo(200);
    JsonObject check = Health.check(node.ready().getValue(), "role.transactions");
    assertThat(check.getString("status")).isEqualTo("UP");
    assertThat(check.getJsonObject("data").getJsonObject("temporal")).isEqualTo(new JsonObject()
        .put("target", "inprocess").put("namespace", "default").put("task-queue", "transaction-processing").put("polling", true));

    var bus = node.get().vertx().eventBus();
    assertThat(bus.<String>request(TransactionsApi.START_PAYMENT, "pay-role-1").await().body())
        .isEqualTo(TransactionsApi.STARTED);
    assertThat(bus.<String>request(TransactionsApi.START_PAYMENT, "pay-role-1").await().body())
        .isEqualTo(TransactionsApi.ALREADY_STARTED);
  }
}
