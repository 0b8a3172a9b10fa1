package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestData;
import dev.ledgerline.transactions.saga.PaymentLedgerIds;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Re-drive at start: a payment row that no workflow runs (the in-process server's state is gone with its node, and
 * its transaction.created was delivered long ago) is started again when a transactions node starts, and reaches an
 * outcome. Here its linked account is unknown to the new node, so the external step cannot succeed: the saga holds the
 * payer's funds, finds that no link can ever make the create, and compensates, releasing them.
 */
class PaymentRedriveTest {
  @RegisterExtension
  static final NodeExtension nodes = NodeExtension.nodes();

  @Test
  void anUnfinishedPaymentIsDrivenToAnOutcomeWhenTheTransactionsRoleStarts() {
    Path root = TestData.tempRoot("ledgerline-test-redrive");
    Map<String, String> dirs = new LinkedHashMap<>();
    dirs.put("postgres.data-dir", root.resolve("pg").toString());
    dirs.put("ledger.engine.data-dir", root.resolve("ledger").toString());
    dirs.put("node.data-dir", root.resolve("node").toString());

    Map<String, String> first = new LinkedHashMap<>(dirs);
    first.put("node.roles", "ledger");
    Node before = nodes.start(first);
    LedgerClient ledger = new LedgerClient(before.vertx(), Duration.ofSeconds(30));
    UInt128 source = UInt128.of(System.nanoTime(), 0x5E);
    UInt128 payer = UInt128.of(System.nanoTime() + 1, 0x5E);
    assertThat(ledger.createAccounts(List.of(Account.of(source, 1, 1, AccountFlags.NONE),
        Account.of(payer, 1, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS))).await()).isEmpty();
    assertThat(ledger.createTransfers(List.of(Transfer.of(UInt128.of(System.nanoTime(), 0x5F), source, payer,
        UInt128.of(500), 1, 1, TransferFlags.NONE))).await()).isEmpty();
    // A row and nothing else: no event, no workflow.
    UUID id = UUID.randomUUID();
    before.services().pool().preparedQuery("INSERT INTO payments (id, owner, status, from_account_id, amount, ledger, "
            + "code, provider, linked_account_id) VALUES ($1, 'alice', 'pending', $2::text::numeric, 200, 1, 1, "
            + "'plaid', $3)")
        .execute(Tuple.of(id, payer.toString(), UUID.randomUUID().toString())).await();
    before.stop().join();

    Map<String, String> second = new LinkedHashMap<>(dirs);
    second.put("node.roles", "ledger,transactions");
    second.put("temporal.target", "inprocess");
    second.put("payments.external-deadline", "2s");
    Node after = nodes.start(second);
    PaymentStore store = new PaymentStore(after.services().pool(), null);
    Poll.until(Duration.ofSeconds(60), "payment " + id + " compensated",
        () -> store.get(id.toString()).await().orElseThrow().status().wireName().equals("compensated"));

    LedgerClient now = new LedgerClient(after.vertx(), Duration.ofSeconds(30));
    assertThat(now.lookupTransfers(List.of(PaymentLedgerIds.transfer(id.toString(), PaymentLedgerIds.RESERVE)))
        .await()).hasSize(1);
    assertThat(now.lookupTransfers(List.of(PaymentLedgerIds.transfer(id.toString(),
        PaymentLedgerIds.VOID_RESERVE))).await()).hasSize(1);
    Account a = now.lookupAccounts(List.of(payer)).await().get(0);
    assertThat(a.debitsPending()).isEqualTo(UInt128.ZERO);
    assertThat(a.debitsPosted()).isEqualTo(UInt128.ZERO);
  }
}
