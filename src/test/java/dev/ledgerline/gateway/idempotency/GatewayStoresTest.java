package dev.ledgerline.gateway.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.idempotency.IdempotencyStore.Claim;
import dev.ledgerline.testing.PostgresExtension;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The gateway's PostgreSQL stores against a real embedded PostgreSQL with the real migrations. */
class GatewayStoresTest {
  @RegisterExtension
  static final PostgresExtension postgres = new PostgresExtension();
  private static IdempotencyStore store;
  /** Waits far longer than any commit takes: a duplicate must get the answer, never the wait bound. */
  private static IdempotencyStore patient;

  @BeforeAll
  static void start() {
    store = new IdempotencyStore(postgres.vertx(), postgres.pool(), Duration.ofHours(24), Duration.ofMillis(1500));
    patient = new IdempotencyStore(postgres.vertx(), postgres.pool(), Duration.ofHours(24), Duration.ofSeconds(60));
  }

  private static byte[] hash(String body) {
    return IdempotencyStore.fingerprint("transfers.create", Buffer.buffer(body));
  }

  @Test
  void firstClaimsThenReplayThenMismatch() {
    String key = UUID.randomUUID().toString();
    assertThat(store.begin("alice", key, "transfers.create", hash("{a}")).await()).isInstanceOf(Claim.Proceed.class);
    store.complete("alice", key, "transfers.create", hash("{a}"), 201, "application/json", Buffer.buffer("{\"ok\":1}")).await();

    Claim replay = store.begin("alice", key, "transfers.create", hash("{a}")).await();
    assertThat(replay).isInstanceOf(Claim.Replay.class);
    assertThat(((Claim.Replay) replay).status()).isEqualTo(201);
    assertThat(((Claim.Replay) replay).body().toString()).isEqualTo("{\"ok\":1}");

    assertThat(store.begin("alice", key, "transfers.create", hash("{b}")).await()).isInstanceOf(Claim.Mismatch.class);
    assertThat(store.begin("alice", key, "transfers.batch", hash("{a}")).await()).isInstanceOf(Claim.Mismatch.class);
    // Keys are scoped per subject: bob's identical key is his own.
    assertThat(store.begin("bob", key, "transfers.create", hash("{b}")).await()).isInstanceOf(Claim.Proceed.class);
  }

  @Test
  void anAnswerForAnotherRequestDoesNotCompleteTheKeyAndALostClaimIsWrittenWhole() {
    String key = UUID.randomUUID().toString();
    assertThat(store.begin("fay", key, "transfers.create", hash("{p}")).await()).isInstanceOf(Claim.Proceed.class);
    store.complete("fay", key, "transfers.create", hash("{q}"), 201, "application/json", Buffer.buffer("{}")).await();
    assertThat(store.begin("fay", key, "transfers.create", hash("{p}")).await()).isInstanceOf(Claim.InProgress.class);

    // No claim row (as after a database crash lost an asynchronous claim): the answer is stored and replayed.
    String lost = UUID.randomUUID().toString();
    store.complete("fay", lost, "transfers.create", hash("{r}"), 201, "application/json", Buffer.buffer("{\"r\":1}"))
        .await();
    Claim replay = store.begin("fay", lost, "transfers.create", hash("{r}")).await();
    assertThat(replay).isInstanceOf(Claim.Replay.class);
    assertThat(((Claim.Replay) replay).body().toString()).isEqualTo("{\"r\":1}");
    assertThat(store.begin("fay", lost, "transfers.create", hash("{s}")).await()).isInstanceOf(Claim.Mismatch.class);
  }

  @Test
  void concurrentDuplicatesGiveExactlyOneProceedAndTheWaiterGetsTheAnswer() {
    String key = UUID.randomUUID().toString();
    Future<Claim> a = patient.begin("carol", key, "transfers.create", hash("{x}"));
    Future<Claim> b = patient.begin("carol", key, "transfers.create", hash("{x}"));
    Claim first = Future.any(a, b).map(v -> a.isComplete() ? a.result() : b.result()).await();
    assertThat(first).isInstanceOf(Claim.Proceed.class);
    Future<Claim> waiting = a.isComplete() ? b : a;
    assertThat(waiting.isComplete()).as("the duplicate waits for the first").isFalse();
    patient.complete("carol", key, "transfers.create", hash("{x}"), 201, "application/json", Buffer.buffer("{\"id\":\"7\"}")).await();
    Claim other = waiting.await();
    assertThat(other).isInstanceOf(Claim.Replay.class);
    assertThat(((Claim.Replay) other).body().toString()).isEqualTo("{\"id\":\"7\"}");
  }

  @Test
  void aRequestStillRunningAfterTheWaitIsInProgressAndReleaseLetsARetryRun() {
    String key = UUID.randomUUID().toString();
    assertThat(store.begin("dave", key, "transfers.create", hash("{y}")).await()).isInstanceOf(Claim.Proceed.class);
    assertThat(store.begin("dave", key, "transfers.create", hash("{y}")).await())
        .isInstanceOf(Claim.InProgress.class);
    store.release("dave", key).await();
    assertThat(store.begin("dave", key, "transfers.create", hash("{y}")).await()).isInstanceOf(Claim.Proceed.class);
  }

  @Test
  void expiredKeysArePurged() {
    IdempotencyStore shortLived = new IdempotencyStore(postgres.vertx(), postgres.pool(), Duration.ZERO,
        Duration.ofMillis(100));
    String key = UUID.randomUUID().toString();
    shortLived.begin("erin", key, "transfers.create", hash("{z}")).await();
    shortLived.complete("erin", key, "transfers.create", hash("{z}"), 201, "application/json", Buffer.buffer("{}")).await();
    assertThat(shortLived.purgeExpired(1000).await()).isGreaterThanOrEqualTo(1);
    // Gone: the same key starts afresh.
    assertThat(shortLived.begin("erin", key, "transfers.create", hash("{other}")).await())
        .isInstanceOf(Claim.Proceed.class);
  }
}
