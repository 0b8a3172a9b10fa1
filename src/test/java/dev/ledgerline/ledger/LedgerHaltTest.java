package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.ledger.engine.EngineClock;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.FailingChannel;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.ManagementServer;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed fsync of the engine's log, seen from the event bus, the gateway's mapping and {@code /health/ready}: the
 * caller gets "outcome unknown" with its ids (504 at the gateway), the ledger check goes DOWN and stays DOWN, and a
 * restart recovers.
 */
@ExtendWith(VertxExtension.class)
class LedgerHaltTest {
  private static final UInt128 A1 = UInt128.of(1);
  private static final UInt128 A2 = UInt128.of(2);

  @TempDir Path dir;

  @Test
  void aFailedFsyncAnswersOutcomeUnknownWithTheIdsAndTheReadinessCheckGoesDown(Vertx vertx) {
    AtomicBoolean failing = new AtomicBoolean();
    EngineConfig engineConfig = new EngineConfig(dir, Duration.ZERO, true, false, true);
    ConfigService config = NodeExtension.configWith(Map.of("ledger.engine.data-dir", dir.toString()));
    LedgerVerticle verticle = LedgerVerticle.openingWith(LeasePostgres.context(vertx, config),
        c -> LedgerEngine.open(engineConfig, EngineClock.SYSTEM, false, FailingChannel.files(failing)));
    String deployment = vertx.deployVerticle(verticle).await();
    int mgmt = FreePorts.next();
    new ManagementServer(vertx).check("role.ledger", verticle::health)
        .listen("127.0.0.1", mgmt, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            dev.ledgerline.node.ManagementAuth.from(config.current().management())).await();
    LedgerClient client = new LedgerClient(vertx, Duration.ofSeconds(10));
    assertThat(client.createAccounts(List.of(Account.of(A1, 1, 1, 0), Account.of(A2, 1, 1, 0))).await()).isEmpty();
    assertThat(Health.ready(vertx, mgmt).getKey()).isEqualTo(200);

    failing.set(true);
    List<Transfer> transfers = List.of(Transfer.of(UInt128.of(7), A1, A2, UInt128.of(5), 1, 1, 0),
        Transfer.of(UInt128.of(8), A1, A2, UInt128.of(6), 1, 1, 0));
    Throwable err = failure(client.createTransfers(transfers));
    assertThat(err).isInstanceOf(LedgerOutcomeUnknownException.class).hasMessageContaining("outcome unknown");
    LedgerOutcomeUnknownException unknown = (LedgerOutcomeUnknownException) err;
    assertThat(unknown.operation()).isEqualTo(LedgerApi.CREATE_TRANSFERS);
    assertThat(unknown.ids()).containsExactly(UInt128.of(7), UInt128.of(8));

    // The gateway answers it as it answers a timeout: 504 outcome-unknown with the ids, and the key is not kept.
    Reply reply = LedgerReplies.of(unknown);
    assertThat(reply.status()).isEqualTo(504);
    assertThat(reply.keep()).isFalse();
    JsonObject problem = reply.body().toJsonObject();
    assertThat(problem.getString("type")).isEqualTo(LedgerReplies.TYPE_OUTCOME_UNKNOWN);
    assertThat(problem.getJsonArray("ids").getList()).containsExactly("7", "8");

    // DOWN, with the reason, and it stays DOWN although the disk "recovered": fsync is never retried.
    failing.set(false);
    var health = Health.ready(vertx, mgmt);
    assertThat(health.getKey()).isEqualTo(503);
    assertThat(health.getValue().getString("status")).isEqualTo("DOWN");
    JsonObject check = Health.check(health.getValue(), "role.ledger");
    assertThat(check.getString("status")).isEqualTo("DOWN");
    assertThat(check.getJsonObject("data").getString("reason")).contains("halted").contains("EIO");
    assertThat(failure(client.createTransfers(List.of(Transfer.of(UInt128.of(9), A1, A2, UInt128.ONE, 1, 1, 0)))))
        .isInstanceOf(LedgerUnavailableException.class);
    assertThat(Health.ready(vertx, mgmt).getKey()).isEqualTo(503);

    // A restart recovers: the engine opens, and the batch whose fsync failed turns out to be on disk.
    vertx.undeploy(deployment).await();
    try (LedgerEngine e = LedgerEngine.open(engineConfig)) {
      assertThat(e.haltReason()).isEmpty();
      assertThat(e.lookupTransfers(unknown.ids()).toCompletableFuture().join()).hasSize(2);
    }
  }

  private static Throwable failure(io.vertx.core.Future<?> f) {
    try {
      f.timeout(30, TimeUnit.SECONDS).await();
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure");
  }
}
