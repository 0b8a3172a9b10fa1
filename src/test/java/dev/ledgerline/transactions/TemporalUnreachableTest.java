package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A Temporal cluster that is down: the role still starts (its worker retries in the background), and a workflow start fails in time, to be retried by the relay. */
class TemporalUnreachableTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("transactions")
      .set("temporal.target", "127.0.0.1:" + FreePorts.next()).set("temporal.rpc-timeout", "2s").build();

  @Test
  void theRoleStartsAndAStartFailsWithinTheRpcTimeout() {
    assertThat(node.ready().getKey()).isEqualTo(200);
    JsonObject check = Health.check(node.ready().getValue(), "role.transactions");
    assertThat(check.getString("status")).isEqualTo("UP");
    assertThat(check.getJsonObject("data").getJsonObject("temporal").getBoolean("polling")).isFalse();
    long began = System.nanoTime();
    Throwable failure = node.get().vertx().eventBus().<String>request(TransactionsApi.START_PAYMENT, "pay-down")
        .transform(ar -> Future.succeededFuture(ar.cause())).await();
    assertThat(failure).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) failure).failureCode()).isEqualTo(503);
    assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(25));
  }
}
