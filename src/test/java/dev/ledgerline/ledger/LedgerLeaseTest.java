package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.infra.DataServices;
import dev.ledgerline.ledger.LedgerLease.LeaseException;
import dev.ledgerline.ledger.LedgerLease.Reason;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The ledger's write lease against a real PostgreSQL: who may take it, when, and what a holder sees when it is lost. */
@ExtendWith(VertxExtension.class)
class LedgerLeaseTest {
  private static final String NAME = "test";
  private static DataServices pg;
  private static Pool pool;

  private final UUID ledger = UUID.randomUUID();
  private final AtomicLong clockA = new AtomicLong();
  private final AtomicLong clockB = new AtomicLong();

  @BeforeAll
  static void connect(Vertx vertx) {
    pg = LeasePostgres.freshLease(vertx);
    pool = pg.pool();
  }

  @AfterAll
  static void disconnect() {
    if (pg != null) pg.close().await();
  }

  @BeforeEach
  void noLease() {
    await(pool.query("DELETE FROM ledger_lease").execute());
  }

  private LedgerLease lease(String holder, UUID ledgerId, Duration ttl, AtomicLong clock) {
    return new LedgerLease(pool, NAME, ledgerId, holder, "node-" + holder, ttl, clock::get);
  }

  private static <T> T await(Future<T> f) {
    return f.toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }

  private static Reason refusal(Future<?> f) {
    Throwable t = f.toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS)
        .handle((v, e) -> e).join();
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) t = t.getCause();
    assertThat(t).as("expected a refusal").isInstanceOf(LeaseException.class);
    return ((LeaseException) t).reason();
  }

  private Row row() {
    return await(pool.preparedQuery("SELECT * FROM ledger_lease WHERE name = $1").execute(Tuple.of(NAME)))
        .iterator().next();
  }

  @Test
  void theFirstLedgerTakesEpochOneAndMayWriteUntilItsOwnShareOfTheTtlRunsOut() {
    LedgerLease a = lease("a", ledger, Duration.ofSeconds(10), clockA);
    assertThat(a.valid()).isFalse();
    assertThat(a.refusal()).contains("does not hold");
    assertThat(await(a.acquire(7))).isEqualTo(1L);
    assertThat(a.valid()).isTrue();
    assertThat(row().getLong("last_op")).isEqualTo(7L);
    assertThat(row().getUUID("ledger_id")).isEqualTo(ledger);
    // The holder trusts 80 % of the TTL on its own clock: it stops before PostgreSQL lets anyone else in.
    clockA.addAndGet(Duration.ofSeconds(8).toNanos() - 1);
    assertThat(a.valid()).isTrue();
    clockA.addAndGet(1);
    assertThat(a.valid()).isFalse();
    assertThat(a.refusal()).contains("ran out");
    // A renewal (even of a lease already past its expiry, which nobody took) restores it.
    await(a.renew(9));
    assertThat(a.valid()).isTrue();
    assertThat(a.epoch()).isEqualTo(1L);
    assertThat(row().getLong("last_op")).isEqualTo(9L);
  }

  @Test
  void anotherLedgersDataIsRefusedForGood() {
    await(lease("a", ledger, Duration.ofSeconds(10), clockA).acquire(0));
    LedgerLease other = lease("b", UUID.randomUUID(), Duration.ofSeconds(10), clockB);
    assertThat(refusal(other.acquire(1_000))).isEqualTo(Reason.OTHER_LEDGER);
    assertThat(other.valid()).isFalse();
    assertThat(row().getString("holder")).isEqualTo("a");
  }

  @Test
  void anUnexpiredLeaseOfAnotherHolderIsHeldThenTakenOverOnceExpiredAndTheOldHolderLosesIt() throws Exception {
    LedgerLease a = lease("a", ledger, Duration.ofSeconds(2), clockA);
    await(a.acquire(3));
    // b holds a copy of a's files written under a's epoch 1 (so its log's next epoch would be 2).
    LedgerLease b = lease("b", ledger, Duration.ofSeconds(2), clockB);
    assertThat(refusal(b.acquire(3, 2))).isEqualTo(Reason.HELD);
    // Once PostgreSQL's clock passes the expiry, b takes it with the next epoch.
    Poll.until(Duration.ofSeconds(30), "b takes the expired lease",
        () -> b.acquire(3, 2).toCompletionStage().toCompletableFuture().handle((e, err) -> err == null).join());
    assertThat(b.epoch()).isEqualTo(2L);
    assertThat(b.valid()).isTrue();
    // a finds out at its next renewal, and never writes again.
    assertThat(refusal(a.renew(3))).isEqualTo(Reason.LOST);
    assertThat(a.valid()).isFalse();
    assertThat(a.lost()).isTrue();
    assertThat(a.refusal()).contains("lost the ledger lease");
    assertThat(row().getString("holder")).isEqualTo("b");
  }

  @Test
  void aLedgerBehindTheLeasesLastOpNeverBecomesTheWriter() {
    LedgerLease a = lease("a", ledger, Duration.ofSeconds(10), clockA);
    await(a.acquire(0));
    await(a.renew(120));
    await(a.release(125));
    // Released: anyone with this ledger's data at op 125 or later may start at once, a copy from before may not.
    LedgerLease stale = lease("b", ledger, Duration.ofSeconds(10), clockB);
    assertThat(refusal(stale.acquire(124, 2))).isEqualTo(Reason.BEHIND);
    LedgerLease current = lease("c", ledger, Duration.ofSeconds(10), new AtomicLong());
    assertThat(await(current.acquire(125, 2))).isEqualTo(2L);
  }

  @Test
  void aFormerWritersLogIsRefusedWhateverItsLengthOnceAnotherEpochFollowed() {
    LedgerLease a = lease("a", ledger, Duration.ofSeconds(10), clockA);
    await(a.acquire(10, 1));
    await(a.release(10));
    LedgerLease b = lease("b", ledger, Duration.ofSeconds(10), clockB);
    assertThat(await(b.acquire(10, 2))).isEqualTo(2L); // b's copy carries a's epoch 1
    await(b.release(15));
    // a's log still ends at epoch 1; however many ops it has since (expiry pulses), b wrote under epoch 2.
    LedgerLease former = lease("a2", ledger, Duration.ofSeconds(10), new AtomicLong());
    assertThat(refusal(former.acquire(1_000, 2))).isEqualTo(Reason.BEHIND);
  }

  @Test
  void theSameHolderTakesItsOwnUnexpiredLeaseAtOnceAfterACrash() {
    LedgerLease before = lease("host:/data/ledger", ledger, Duration.ofSeconds(30), clockA);
    await(before.acquire(5));
    // (Its fence of epoch 1 never reached the log: the same files are still taken back.)
    // A restarted process with the same data directory on the same host (the engine's file lock proves the old
    // process is gone) does not wait out the TTL; the epoch still moves on.
    LedgerLease after = lease("host:/data/ledger", ledger, Duration.ofSeconds(30), clockB);
    assertThat(await(after.acquire(5))).isEqualTo(2L);
    assertThat(refusal(before.renew(5))).isEqualTo(Reason.LOST);
  }

  @Test
  void aDataDirectoryKeepsOneLedgerIdAndAGarbledOneIsRefused(@TempDir Path dir) throws Exception {
    UUID id = LedgerIdentity.of(dir);
    assertThat(LedgerIdentity.of(dir)).isEqualTo(id);
    Files.writeString(dir.resolve(LedgerIdentity.FILE), "not-a-uuid");
    assertThatThrownBy(() -> LedgerIdentity.of(dir)).hasMessageContaining("does not hold a ledger id");
    assertThat(LedgerIdentity.holder(dir)).endsWith(":" + dir.toRealPath());
  }
}
