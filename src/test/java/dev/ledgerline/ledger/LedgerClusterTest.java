package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real two-member Hazelcast cluster on loopback: node 1 runs the embedded ledger, node 2 reaches it only over the
 * clustered bus, so every request and reply crosses the binary codec. A third embedded ledger node is refused.
 */
class LedgerClusterTest {
  private static final UInt128 TWO_64 = UInt128.of(0, 1);
  private static final UInt128 U64_MAX = UInt128.of(-1L, 0);
  private static final UInt128 ALMOST_MAX = UInt128.MAX.subtract(UInt128.ONE);

  @RegisterExtension
  static final NodeExtension cluster = NodeExtension.nodes();
  @TempDir static Path dir1;
  @TempDir static Path dir3;
  private static Node ledgerNode;
  private static Node otherNode;
  private static String members;
  private static String clusterName;
  private static int[] hz;

  @BeforeAll
  static void startCluster() {
    hz = new int[] {FreePorts.next(), FreePorts.next(), FreePorts.next()};
    members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1] + ",127.0.0.1:" + hz[2];
    clusterName = "ledger-test-" + System.nanoTime();
    ledgerNode = cluster.start(clustered(0, "ledger", dir1));
    otherNode = cluster.start(clustered(1, "cache", null));
  }

  private static Map<String, String> clustered(int i, String roles, Path ledgerDir) {
    Map<String, String> m = new java.util.HashMap<>(Map.of("cluster.enabled", "true", "cluster.name", clusterName,
        "cluster.port", String.valueOf(hz[i]), "cluster.members", members, "node.id", "n" + (i + 1),
        "node.roles", roles));
    if (ledgerDir != null) m.put("ledger.engine.data-dir", ledgerDir.toString());
    return m;
  }

  @Test
  void requestsFromNode2ReachTheLedgerOnNode1ThroughTheBinaryCodecWithResultsIntact() {
    LedgerClient client = new LedgerClient(otherNode.vertx(), Duration.ofSeconds(10));
    UInt128 a = UInt128.of(0x1111, 0x7);
    UInt128 b = ALMOST_MAX; // the largest legal id
    Account accountA = new Account(a, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.MAX, -1L, -1,
        0, -1, 0xFFFF, AccountFlags.HISTORY, 0);
    Account accountB = Account.of(b, -1, 0xFFFF, AccountFlags.HISTORY).withUserData(TWO_64, Long.MIN_VALUE,
        Integer.MIN_VALUE);
    List<CreateAccountsResult> accountResults = client.createAccounts(List.of(accountA,
        Account.of(UInt128.MAX, 1, 1, 0), accountB, Account.of(UInt128.of(5), 1, 1, AccountFlags.LINKED))).await();
    assertThat(accountResults).containsExactly(
        new CreateAccountsResult(1, CreateAccountResult.ID_MUST_NOT_BE_INT_MAX),
        new CreateAccountsResult(3, CreateAccountResult.LINKED_EVENT_CHAIN_OPEN));

    UInt128 big = UInt128.of(new BigInteger("170141183460469231731687303715884105727")); // 2^127 - 1
    Transfer t1 = new Transfer(UInt128.of(1, 1), a, b, TWO_64, UInt128.ZERO, U64_MAX, 42L, 7, 0, -1, 0xFFFF, 0, 0);
    Transfer t2 = new Transfer(UInt128.of(2, 1), b, a, U64_MAX, UInt128.ZERO, big, -1L, -1, 3600, -1, 1,
        TransferFlags.PENDING, 0);
    Transfer bad = Transfer.of(UInt128.of(3, 1), a, a, UInt128.ONE, -1, 1, 0);
    List<CreateTransfersResult> results = client.createTransfers(List.of(t1, bad, t2)).await();
    assertThat(results).containsExactly(
        new CreateTransfersResult(1, CreateTransferResult.ACCOUNTS_MUST_BE_DIFFERENT));

    List<Account> accounts = client.lookupAccounts(List.of(b, UInt128.of(404), a)).await();
    assertThat(accounts).hasSize(2);
    Account gotB = accounts.get(0);
    Account gotA = accounts.get(1);
    assertThat(gotA.withTimestamp(0)).isEqualTo(new Account(a, UInt128.ZERO, TWO_64, U64_MAX, UInt128.ZERO,
        UInt128.MAX, -1L, -1, 0, -1, 0xFFFF, AccountFlags.HISTORY, 0));
    assertThat(gotB.withTimestamp(0)).isEqualTo(new Account(b, U64_MAX, UInt128.ZERO, UInt128.ZERO, TWO_64, TWO_64,
        Long.MIN_VALUE, Integer.MIN_VALUE, 0, -1, 0xFFFF, AccountFlags.HISTORY, 0));
    assertThat(gotA.timestamp()).isPositive();

    List<Transfer> transfers = client.lookupTransfers(List.of(t2.id(), t1.id(), bad.id())).await();
    assertThat(transfers).hasSize(2);
    assertThat(transfers.get(0).withTimestamp(0)).isEqualTo(t2);
    assertThat(transfers.get(1).withTimestamp(0)).isEqualTo(t1);
    assertThat(transfers.get(1).timestamp()).isLessThan(transfers.get(0).timestamp());

    List<Transfer> ofA = client.getAccountTransfers(new AccountFilter(a, UInt128.ZERO, 0, 0, 0, 0, 0, 10,
        AccountFilterFlags.DEBITS | AccountFilterFlags.CREDITS | AccountFilterFlags.REVERSED)).await();
    assertThat(ofA).containsExactly(transfers.get(0), transfers.get(1));
    List<AccountBalance> balances = client.getAccountBalances(AccountFilter.of(a, 10)).await();
    assertThat(balances).containsExactly(
        new AccountBalance(UInt128.ZERO, TWO_64, UInt128.ZERO, UInt128.ZERO, transfers.get(1).timestamp()),
        new AccountBalance(UInt128.ZERO, TWO_64, U64_MAX, UInt128.ZERO, transfers.get(0).timestamp()));
    assertThat(client.queryAccounts(new QueryFilter(TWO_64, 0, 0, 0, 0, 0, 0, 10, 0)).await())
        .containsExactly(gotB);
    assertThat(client.queryTransfers(new QueryFilter(big, 0, 0, 0, 0, 0, 0, 10, 0)).await())
        .containsExactly(transfers.get(0));
  }

  @Test
  void aSecondEmbeddedLedgerNodeInTheClusterRefusesToStart() {
    assertThatThrownBy(() -> cluster.start(clustered(2, "ledger", dir3)))
        .hasMessageContaining("exactly one ledger node per cluster")
        .hasMessageContaining("node n1");
    // The refused node left again, and the ledger still answers from node 2.
    LedgerClient client = new LedgerClient(otherNode.vertx(), Duration.ofSeconds(10));
    assertThat(client.lookupAccounts(List.of(UInt128.of(404))).await()).isEmpty();
  }
}
