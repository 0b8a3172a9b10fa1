package dev.ledgerline.gateway.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.idempotency.IdempotencyStore.Claim;
import dev.ledgerline.testing.PostgresExtension;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Idempotency claims against a real embedded PostgreSQL: one bad row never fails its batch neighbours, and a claim
 * held by a dead node process is taken over at once while a live holder's claim still answers in progress.
 */
class IdempotencyClaimsTest {
  static final String ROUTE = "POST /v1/transfers";
  @RegisterExtension
  static final PostgresExtension postgres = new PostgresExtension();

  private static byte[] hash(String body) {
    return IdempotencyStore.fingerprint(ROUTE, Buffer.buffer(body));
  }

  /** A pipelining client of its own, as each gateway instance has. */
  private static SqlClient client() {
    return PgBuilder.client().with(new PoolOptions().setMaxSize(1))
        .connectingTo(postgres.url().connectOptions().setPipeliningLimit(256)).using(postgres.vertx()).build();
  }

  private static IdempotencyStore store(ClaimHolder holder, Duration wait) {
    SqlClient sql = client();
    return new IdempotencyStore(postgres.vertx(), sql, sql, Duration.ofHours(1), wait, holder);
  }

  /** Runs on one event loop, where the store is made and called, so its calls share ticks as a gateway's do. */
  private static <T> T onContext(java.util.function.Supplier<T> action) {
    io.vertx.core.Promise<T> done = io.vertx.core.Promise.promise();
    postgres.vertx().getOrCreateContext().runOnContext(v -> done.complete(action.get()));
    return done.future().await();
  }

  @Test
  void unstorableSubjectsAndKeysAreRefusedAloneAndTheirNeighboursProceed() {
    record Row(String name, String subject, String key, boolean accepted) {}
    List<Row> table = List.of(
        new Row("NUL in subject", "ali\u0000ce", "k", false),
        new Row("NUL in key", "alice", "k\u0000", false),
        new Row("lone high surrogate", "bob\uD800", "k", false),
        new Row("lone low surrogate", "bob\uDC00x", "k", false),
        new Row("control character", "bob\u001b[2J", "k", false),
        new Row("256-character subject", "s".repeat(256), "k", false),
        new Row("256-character key", "bob", "k".repeat(256), false),
        new Row("empty subject", "", "k", false),
        new Row("paired surrogates", "bob\uD83D\uDE00", "k", true),
        new Row("255-character subject", "s".repeat(255), "k", true));
    // Every hostile row goes into the same event-loop tick as 30 good ones, as concurrent requests would.
    List<Future<Claim>> good = new ArrayList<>();
    List<Future<Claim>> rows = new ArrayList<>();
    onContext(() -> {
      IdempotencyStore store = store(null, Duration.ZERO);
      for (int i = 0; i < 30; i++) {
        good.add(store.begin("neighbour-" + i, UUID.randomUUID().toString(), ROUTE, hash("{}")));
      }
      for (Row r : table) {
        String key = r.key().equals("k") ? UUID.randomUUID().toString() : r.key();
        rows.add(store.begin(r.subject(), key, ROUTE, hash("{}")));
      }
      return null;
    });
    Future.join(new ArrayList<Future<?>>(rows)).otherwiseEmpty().await();
    Future.join(new ArrayList<Future<?>>(good)).otherwiseEmpty().await();
    for (int i = 0; i < table.size(); i++) {
      Row r = table.get(i);
      Future<Claim> f = rows.get(i);
      if (r.accepted()) {
        assertThat(f.succeeded()).as(r.name()).isTrue();
        assertThat(f.result()).as(r.name()).isInstanceOf(Claim.Proceed.class);
      } else {
        assertThat(f.failed()).as(r.name()).isTrue();
        assertThat(f.cause()).as(r.name()).isInstanceOf(IllegalArgumentException.class);
      }
    }
    assertThat(good).allSatisfy(f -> assertThat(f.result()).isInstanceOf(Claim.Proceed.class));
  }

  @Test
  void aBatchTheServerRefusesIsRunRowByRowSoOnlyTheBadRowFails() {
    // A route is the server's own constant, so it is not checked: a NUL in it reaches PostgreSQL, which refuses the
    // whole multi-row INSERT. The store must then run the rows one by one.
    List<Future<Claim>> good = new ArrayList<>();
    List<Future<Claim>> bad = new ArrayList<>();
    onContext(() -> {
      IdempotencyStore store = store(null, Duration.ZERO);
      for (int i = 0; i < 300; i++) {
        if (i == 150) {
          bad.add(store.begin("victim", UUID.randomUUID().toString(), "POST /v1/\u0000", hash("{}")));
        }
        good.add(store.begin("neighbour", UUID.randomUUID().toString(), ROUTE, hash("{}")));
      }
      return null;
    });
    assertThat(Future.join(new ArrayList<Future<?>>(good)).await()).isNotNull();
    assertThat(good).allSatisfy(f -> assertThat(f.result()).isInstanceOf(Claim.Proceed.class));
    assertThat(bad.get(0).otherwiseEmpty().await()).isNull();
    assertThat(bad.get(0).failed()).isTrue();
  }

  @Test
  void aClaimOfADeadHolderIsTakenOverAtOnceAndALiveHoldersClaimIsInProgress() {
    ClaimHolder dying = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions());
    ClaimHolder living = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions());
    ClaimHolder retrying = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions());
    IdempotencyStore onDying = store(dying, Duration.ZERO);
    IdempotencyStore onLiving = store(living, Duration.ZERO);
    String deadKey = UUID.randomUUID().toString();
    String liveKey = UUID.randomUUID().toString();
    assertThat(onDying.begin("carol", deadKey, ROUTE, hash("{a}")).await()).isInstanceOf(Claim.Proceed.class);
    assertThat(onLiving.begin("carol", liveKey, ROUTE, hash("{b}")).await()).isInstanceOf(Claim.Proceed.class);

    // The process holding deadKey dies: its session ends, and so does its lock.
    dying.close().await();

    // The retry's wait (10 s) is far below the 60 s lease: only the holder's death can let it proceed. It polls
    // while PostgreSQL finishes ending the dead session.
    IdempotencyStore retry = store(retrying, Duration.ofSeconds(10));
    assertThat(retry.begin("carol", deadKey, ROUTE, hash("{a}")).await()).isInstanceOf(Claim.Proceed.class);
    // A live holder's claim is not taken: the retry waits and then hears the request is in flight.
    IdempotencyStore impatient = store(retrying, Duration.ZERO);
    assertThat(impatient.begin("carol", liveKey, ROUTE, hash("{b}")).await()).isInstanceOf(Claim.InProgress.class);
    // Taken over, the key is the new holder's: a further retry is in progress, not a second takeover.
    assertThat(impatient.begin("carol", deadKey, ROUTE, hash("{a}")).await()).isInstanceOf(Claim.InProgress.class);
    living.close().await();
    retrying.close().await();
  }

  @Test
  void aClaimOfAProcessKilledWithSigkillIsTakenOverAtOnce() throws Exception {
    String key = UUID.randomUUID().toString();
    String java = ProcessHandle.current().info().command().orElse("java");
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        ClaimHolderMain.class.getName(), postgres.url().url(), "dora", key, "{k}")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    ClaimHolder mine = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions());
    try {
      assertThat(awaitLine(child)).isEqualTo("CLAIMED Proceed");
      // The holder process is alive: its claim stands.
      assertThat(store(mine, Duration.ZERO).begin("dora", key, ROUTE, hash("{k}")).await())
          .isInstanceOf(Claim.InProgress.class);
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no orderly close of its connections
      child.waitFor(30, TimeUnit.SECONDS);
    }
    // Well inside the 60 s lease: only the dead holder's lost lock lets the retry proceed.
    assertThat(store(mine, Duration.ofSeconds(10)).begin("dora", key, ROUTE, hash("{k}")).await())
        .isInstanceOf(Claim.Proceed.class);
    mine.close().await();
  }

  @Test
  void aNodeWhoseClaimWasTakenOverNeitherReleasesNorCompletesTheNewHoldersClaim() {
    ClaimHolder first = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions());
    ClaimHolder second = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions());
    IdempotencyStore onFirst = store(first, Duration.ZERO);
    IdempotencyStore onSecond = store(second, Duration.ofSeconds(10));
    String released = UUID.randomUUID().toString();
    String completed = UUID.randomUUID().toString();
    assertThat(onFirst.begin("gina", released, ROUTE, hash("{r}")).await()).isInstanceOf(Claim.Proceed.class);
    assertThat(onFirst.begin("gina", completed, ROUTE, hash("{c}")).await()).isInstanceOf(Claim.Proceed.class);
    // The first node's lock looks lost (its session ended) while its requests still run: the retries take over.
    first.close().await();
    assertThat(onSecond.begin("gina", released, ROUTE, hash("{r}")).await()).isInstanceOf(Claim.Proceed.class);
    assertThat(onSecond.begin("gina", completed, ROUTE, hash("{c}")).await()).isInstanceOf(Claim.Proceed.class);

    // The first node's late release and completion touch nothing of the second's claims.
    onFirst.release("gina", released).await();
    onFirst.complete("gina", completed, ROUTE, hash("{c}"), 201, "application/json", Buffer.buffer("{\"old\":1}"))
        .await();
    IdempotencyStore third = store(second, Duration.ZERO);
    assertThat(third.begin("gina", released, ROUTE, hash("{r}")).await()).isInstanceOf(Claim.InProgress.class);
    assertThat(third.begin("gina", completed, ROUTE, hash("{c}")).await()).isInstanceOf(Claim.InProgress.class);
    // The new holder completes its own.
    onSecond.complete("gina", completed, ROUTE, hash("{c}"), 201, "application/json", Buffer.buffer("{\"new\":1}"))
        .await();
    Claim replay = third.begin("gina", completed, ROUTE, hash("{c}")).await();
    assertThat(replay).isInstanceOf(Claim.Replay.class);
    assertThat(((Claim.Replay) replay).body().toString()).isEqualTo("{\"new\":1}");
    onSecond.release("gina", released).await();
    assertThat(third.begin("gina", released, ROUTE, hash("{r}")).await()).isInstanceOf(Claim.Proceed.class);
    second.close().await();
  }

  @Test
  void theLockConnectionIsPingedSoASilentlyDroppedConnectionIsNoticed() throws Exception {
    ClaimHolder holder = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions(), Duration.ofMillis(200));
    holder.id().await();
    // The holder's session shows the ping as its latest statement.
    dev.ledgerline.testing.Poll.until(Duration.ofSeconds(30), "the lock connection sends SELECT 1",
        () -> postgres.pool().query("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
            + "'ledgerline-claim-holder' AND query = 'SELECT 1'").execute().await().iterator().next().getLong(0) > 0);
    holder.close().await();
  }

  @Test
  void aHolderWhoseSessionIsEndedTakesANewIncarnationAndReHoldsItsClaims() throws Exception {
    ClaimHolder holder = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions());
    long first = holder.id().await();
    String key = UUID.randomUUID().toString();
    assertThat(store(holder, Duration.ZERO).begin("erin", key, ROUTE, hash("{e}")).await())
        .isInstanceOf(Claim.Proceed.class);
    // The session holding the lock ends while the process lives (an administrator, a restart of PostgreSQL).
    var ended = postgres.pool().preparedQuery("SELECT pg_terminate_backend(pid) FROM pg_locks "
        + "WHERE locktype = 'advisory' AND objsubid = 1 AND classid::bigint = ($1::bigint >> 32) "
        + "AND objid::bigint = ($1::bigint & 4294967295)").execute(io.vertx.sqlclient.Tuple.of(first)).await();
    assertThat(ended.size()).as("the holder's session was found and ended").isEqualTo(1);
    dev.ledgerline.testing.Poll.until(Duration.ofSeconds(30), "a new incarnation is held",
        () -> holder.id().succeeded() && holder.id().result() != first);
    long second = holder.id().result();
    // Its claims still in flight are re-stamped with the new id (the id completes after the re-stamp): they stand.
    assertThat(postgres.pool().preparedQuery("SELECT holder FROM idempotency_keys WHERE subject = 'erin' AND key = $1")
        .execute(io.vertx.sqlclient.Tuple.of(key)).await().iterator().next().getLong(0)).isEqualTo(second);
    ClaimHolder other = ClaimHolder.start(postgres.vertx(), postgres.url().connectOptions());
    assertThat(store(other, Duration.ZERO).begin("erin", key, ROUTE, hash("{e}")).await())
        .isInstanceOf(Claim.InProgress.class);
    // New claims are held under the new id and stand.
    String fresh = UUID.randomUUID().toString();
    assertThat(store(holder, Duration.ZERO).begin("erin", fresh, ROUTE, hash("{f}")).await())
        .isInstanceOf(Claim.Proceed.class);
    assertThat(store(other, Duration.ZERO).begin("erin", fresh, ROUTE, hash("{f}")).await())
        .isInstanceOf(Claim.InProgress.class);
    holder.close().await();
    other.close().await();
  }

  /** The child's first line of output, or a failure after a minute. */
  private static String awaitLine(Process child) throws Exception {
    java.util.concurrent.CompletableFuture<String> line = new java.util.concurrent.CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(),
          java.nio.charset.StandardCharsets.UTF_8))) {
        String l = out.readLine();
        line.complete(l == null ? "exited" : l);
      } catch (Exception e) {
        line.completeExceptionally(e);
      }
    });
    reader.setDaemon(true);
    reader.start();
    return line.get(60, java.util.concurrent.TimeUnit.SECONDS);
  }
}
