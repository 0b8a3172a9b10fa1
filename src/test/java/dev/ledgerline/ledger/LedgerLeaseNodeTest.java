package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestData;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two ledger nodes against one PostgreSQL that cannot see each other (each its own cluster, as after a network split):
 * exactly one of them takes writes, whatever data the other has, and the lease's loss stops writes at once.
 */
class LedgerLeaseNodeTest {
  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();

  private static Map<String, String> ledgerNode(Path ledgerDir, Map<String, String> extra) {
    Map<String, String> m = new HashMap<>(Map.of("node.roles", "ledger", "ledger.engine.data-dir",
        ledgerDir.toString(), "ledger.lease.acquire-timeout", "1s"));
    m.putAll(extra);
    return m;
  }

  private static Map<String, String> sharingPostgresOf(Node a) {
    return Map.of("postgres.mode", "external", "postgres.url", a.services().postgresUrl().orElseThrow().url(),
        "cluster.name", "other-side");
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static long leaseEpoch(Node node) {
    return node.services().pool().query("SELECT epoch FROM ledger_lease").execute().await().iterator().next()
        .getLong(0);
  }

  /** The epoch the ledger's log was last written under (its node stopped). */
  private static long logEpoch(Path ledgerDir) {
    try (var engine = dev.ledgerline.ledger.engine.LedgerEngine.open(
        dev.ledgerline.ledger.engine.EngineConfig.of(ledgerDir))) {
      return engine.currentEpoch();
    }
  }

  private static List<CreateTransfersResult> pay(LedgerClient client, long id, long amount) {
    return client.createTransfers(List.of(Transfer.of(UInt128.of(id), UInt128.of(1), UInt128.of(2),
        UInt128.of(amount), 1, 1, 0))).await();
  }

  /** Sum of debits and of credits over both accounts: money is neither made nor lost. */
  private static void assertConserved(LedgerClient client, long expectedPosted) {
    List<Account> accounts = client.lookupAccounts(List.of(UInt128.of(1), UInt128.of(2))).await();
    UInt128 debits = accounts.stream().map(Account::debitsPosted).reduce(UInt128.ZERO, UInt128::add);
    UInt128 credits = accounts.stream().map(Account::creditsPosted).reduce(UInt128.ZERO, UInt128::add);
    assertThat(debits).isEqualTo(credits).isEqualTo(UInt128.of(expectedPosted));
  }

  @Test
  void exactlyOneOfTwoSplitLedgerNodesTakesWritesWhateverTheOtherHolds(@TempDir Path dirA, @TempDir Path dirB,
      @TempDir Path copyOfA) throws Exception {
    Node a = nodes.start(ledgerNode(dirA, Map.of()));
    try {
      LedgerClient clientA = new LedgerClient(a.vertx(), Duration.ofSeconds(10));
      assertThat(clientA.createAccounts(List.of(Account.of(UInt128.of(1), 1, 1, 0), Account.of(UInt128.of(2), 1, 1,
          0))).await()).isEmpty();
      assertThat(pay(clientA, 100, 5)).isEmpty();

      // A second ledger node with a data directory of its own: another ledger, refused at once.
      assertThatThrownBy(() -> nodes.start(ledgerNode(dirB, sharingPostgresOf(a))))
          .hasMessageContaining("refusing to start the ledger")
          .hasMessageContaining("refusing to become the writer of a different ledger");

      // A copy of node A's data (same ledger): the lease is held by A and has not expired, so it is refused too.
      copy(dirA, copyOfA);
      assertThatThrownBy(() -> nodes.start(ledgerNode(copyOfA, sharingPostgresOf(a))))
          .hasMessageContaining("the ledger lease is held by " + a.id())
          .hasMessageContaining("ledger.lease.acquire-timeout");

      // Node A kept writing throughout, and its books balance.
      assertThat(pay(clientA, 101, 7)).isEmpty();
      assertConserved(clientA, 12);

      // Once A has recorded an op past the copy's end in the lease, the copy is refused as stale, whatever the expiry.
      long copyEnd;
      try (var engine = dev.ledgerline.ledger.engine.LedgerEngine.open(
          dev.ledgerline.ledger.engine.EngineConfig.of(copyOfA))) {
        copyEnd = engine.lastOp();
      }
      Poll.until(Duration.ofSeconds(30), "the lease records an op past the copy", () -> a.services().pool()
          .query("SELECT last_op FROM ledger_lease").execute().await().iterator().next().getLong(0) > copyEnd);
      assertThatThrownBy(() -> nodes.start(ledgerNode(copyOfA, sharingPostgresOf(a))))
          .hasMessageContaining("a stale ledger never becomes the writer");
      assertThat(pay(clientA, 102, 1)).isEmpty();
      assertConserved(clientA, 13);
    } finally {
      a.stop().join();
    }
    // The log records which epoch wrote: the lease's first.
    assertThat(logEpoch(dirA)).isEqualTo(1L);
  }

  @Test
  void aRemovedLeaseRowStartsAgainAboveTheEpochsTheLogHolds(@TempDir Path dir) {
    Path pgDir = TestData.tempRoot("ledgerline-lease-pg").resolve("pg");
    Map<String, String> sets = Map.of("postgres.data-dir", pgDir.toString());
    Node first = nodes.start(ledgerNode(dir, sets));
    first.stop().join();
    Node second = nodes.start(ledgerNode(dir, sets));
    assertThat(leaseEpoch(second)).isEqualTo(2L);
    // An operator removes the row (the documented way to hand the ledger to other data): the epoch never goes back.
    second.services().pool().query("DELETE FROM ledger_lease").execute().await();
    second.stop().join();
    Node third = nodes.start(ledgerNode(dir, sets));
    assertThat(leaseEpoch(third)).isEqualTo(3L);
    third.stop().join();
    assertThat(logEpoch(dir)).isEqualTo(3L);
  }

  @Test
  void aNodeWhoseLeaseIsTakenOverAnswersWritesWithNotLeaderAndReportsItselfNotReady(@TempDir Path dir)
      throws Exception {
    int mgmt = FreePorts.next();
    Node a = nodes.start(ledgerNode(dir, Map.of("ledger.lease.ttl", "3s", "management.port",
        String.valueOf(mgmt))));
    try {
      LedgerClient client = new LedgerClient(a.vertx(), Duration.ofSeconds(10));
      assertThat(client.createAccounts(List.of(Account.of(UInt128.of(1), 1, 1, 0), Account.of(UInt128.of(2), 1, 1,
          0))).await()).isEmpty();
      assertThat(pay(client, 1, 3)).isEmpty();
      // Another node took the lease (as it may once the lease expired): A's next renewal finds out.
      a.services().pool().query("UPDATE ledger_lease SET holder = 'elsewhere:/data', holder_node = 'n9', "
          + "epoch = epoch + 1, expires_at = now() + interval '1 hour'").execute().await();
      List<Throwable> refusals = new ArrayList<>();
      Poll.until(Duration.ofSeconds(20), "writes refused with not_leader", () -> {
        try {
          pay(client, 2, 1);
          return false;
        } catch (CompletionException | LedgerException e) {
          refusals.add(e instanceof CompletionException ? e.getCause() : e);
          // A slow machine may first see the lease run out locally; the takeover is found at a later renewal.
          Throwable last = refusals.get(refusals.size() - 1);
          return last instanceof LedgerNotLeaderException && last.getMessage().contains("lost the ledger lease");
        }
      });
      assertThat(refusals.get(refusals.size() - 1)).hasMessageContaining("not_leader")
          .hasMessageContaining("lost the ledger lease");
      // Reads still answer from the local data; the transfer that raced the takeover was executed at most once.
      List<Transfer> found = client.lookupTransfers(List.of(UInt128.of(1), UInt128.of(2))).await();
      assertThat(found).extracting(Transfer::id).contains(UInt128.of(1));
      assertConserved(client, found.stream().mapToLong(t -> t.amount().toBigInteger().longValueExact()).sum());
      var health = Health.ready(a.vertx(), mgmt);
      assertThat(health.getKey()).isEqualTo(503);
      JsonObject ledger = Health.check(health.getValue(), "role.ledger");
      assertThat(ledger.getString("status")).isEqualTo("DOWN");
    } finally {
      a.stop().join();
    }
  }

  @Test
  void theGatewayAnswersNotLeaderWith503RetryAfterAndAProblemType() {
    Reply r = LedgerReplies.of(new LedgerNotLeaderException("ledger.transfers.create: not_leader: x"));
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.retryAfterSeconds()).isEqualTo(1);
    assertThat(r.keep()).isFalse();
    assertThat(new JsonObject(r.body()).getString("type")).isEqualTo(LedgerReplies.TYPE_NOT_LEADER);
  }
}
