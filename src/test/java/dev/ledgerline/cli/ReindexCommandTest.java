package dev.ledgerline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code ledgerline reindex} against a running node's PostgreSQL: an index that misses a payment and holds a wrong
 * transfer row is rebuilt from the payments table and the ledger, by the node's own consumers.
 */
class ReindexCommandTest {
  @RegisterExtension
  static final NodeExtension node = NodeExtension.node().roles("gateway", "ledger")
      .rateLimits(NodeExtension.RATE_LIMITS_NEVER_BIND).build();

  @Test
  void rebuildsPaymentsAndTransfers() {
    Pool pool = node.get().services().pool();
    String token = node.tokens().issue("reindex-user", Role.USER);
    String a = account(token);
    String b = account(token);
    String transfer = String.valueOf(System.nanoTime());
    HttpResponse<Buffer> t = node.web().post("/v1/transfers").bearerTokenAuthentication(token)
        .putHeader("Idempotency-Key", UUID.randomUUID().toString())
        .sendJsonObject(new JsonObject().put("id", transfer).put("debit_account_id", a).put("credit_account_id", b)
            .put("amount", "42").put("ledger", 1).put("code", 1)).await();
    assertThat(t.statusCode()).as(t.bodyAsString()).isEqualTo(201);
    // A payment whose row never reached the index (its events are not needed: reindex reads the payments table).
    String payment = UUID.randomUUID().toString();
    pool.preparedQuery("INSERT INTO payments (id, owner, status, from_account_id, amount, ledger, code, provider, "
        + "linked_account_id, description) VALUES ($1::uuid, 'reindex-user', 'completed', $2::text::numeric, 99, 1, 1, "
        + "'plaid', 'linked-1', 'Reindexed rent')").execute(Tuple.of(payment, a)).await();
    Poll.until(Duration.ofSeconds(20), "the transfer is indexed", () -> count(pool, "id = '" + transfer + "'") == 1);
    assertThat(count(pool, "id = '" + payment + "'")).isZero();
    // Damage: the transfer's row says something it never was.
    pool.query("UPDATE transaction_search SET status = 'voided', amount = 1 WHERE id = '" + transfer + "'")
        .execute().await();

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Ledgerline.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute("reindex", "--set", "postgres.mode=external", "--set",
        "postgres.url=" + node.get().services().postgresUrl().orElseThrow().url());
    assertThat(exit).as(err.toString()).isZero();
    JsonObject summary = new JsonObject(out.toString());
    assertThat(summary.getInteger("payments_republished")).isGreaterThanOrEqualTo(1);

    Poll.until(Duration.ofSeconds(20), "the index is rebuilt", () -> count(pool, "id = '" + payment
        + "' AND description = 'Reindexed rent'") == 1 && count(pool, "id = '" + transfer
        + "' AND status = 'posted' AND amount = 42") == 1);
  }

  private static String account(String token) {
    HttpResponse<Buffer> r = node.web().post("/v1/accounts").bearerTokenAuthentication(token)
        .putHeader("Idempotency-Key", UUID.randomUUID().toString())
        .sendJsonObject(new JsonObject().put("ledger", 1).put("code", 1)).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("id");
  }

  private static long count(Pool pool, String where) {
    Row r = pool.query("SELECT count(*) FROM transaction_search WHERE " + where).execute().await().iterator().next();
    return r.getLong(0);
  }
}
