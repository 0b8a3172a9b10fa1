package dev.ledgerline.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.node.Node;
import dev.ledgerline.testing.DataRoot;
import dev.ledgerline.testing.NodeExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code ledgerline verify-events [--repair]} on a stopped node's ledger and PostgreSQL. */
class VerifyEventsCommandTest {
  @RegisterExtension
  final DataRoot root = new DataRoot("ledgerline-verify-events");
  @RegisterExtension
  final NodeExtension nodes = NodeExtension.nodes();

  @Test
  void findsAMissingRowAndRepairsIt() {
    Path pg = root.resolve("pg");
    Path ledgerDir = root.resolve("ledger");
    Path nodeDir = root.resolve("node");
    Map<String, String> dirs = Map.of("postgres.data-dir", pg.toString(), "ledger.engine.data-dir",
        ledgerDir.toString(), "node.data-dir", nodeDir.toString());
    java.util.HashMap<String, String> sets = new java.util.HashMap<>(dirs);
    sets.put("node.roles", "ledger");
    Node node = nodes.start(sets);
    UInt128 agg = UInt128.of(42, 7);
    try {
      Pool pool = node.services().pool();
      LedgerEventStore store = new LedgerEventStore(new LedgerClient(node.vertx(), Duration.ofSeconds(30)), pool,
          EventTypes.KNOWN, 2_000_000_000, 65536);
      store.append(agg, 1, "transaction.created", new JsonObject().put("amount", "10")).await();
      pool.query("CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          + "RAISE EXCEPTION 'row lost'; END $$").execute().await();
      pool.query("CREATE TRIGGER refuse_row BEFORE INSERT ON ledger_events FOR EACH ROW "
          + "EXECUTE FUNCTION refuse_row()").execute().await();
      assertThat(store.append(agg, 2, "transaction.updated", new JsonObject().put("state", "posted"))
          .toCompletionStage().toCompletableFuture().handle((v, e) -> e).join()).hasMessageContaining("row lost");
      pool.query("DROP TRIGGER refuse_row ON ledger_events").execute().await();
    } finally {
      node.stop().join();
    }

    String[] base = dirs.entrySet().stream().flatMap(e -> List.of("--set", e.getKey() + "=" + e.getValue()).stream())
        .toArray(String[]::new);
    Run check = run(base);
    assertThat(check.code).as(check.out).isEqualTo(1);
    assertThat(check.out).contains("rows: 1, event transfers: 2").contains("VIOLATION transfer")
        .contains("no ledger_events row").contains("FAILED");

    List<String> repairArgs = new ArrayList<>(List.of(base));
    repairArgs.add("--repair");
    Run repaired = run(repairArgs.toArray(String[]::new));
    assertThat(repaired.code).as(repaired.out).isZero();
    assertThat(repaired.out).contains("rows rebuilt: 1").contains("CLEAN");

    Run again = run(base);
    assertThat(again.code).as(again.out).isZero();
    assertThat(again.out).contains("rows: 2, event transfers: 2, rows rebuilt: 0").contains("CLEAN");
  }

  private record Run(int code, String out) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    String[] all = new String[args.length + 1];
    all[0] = "verify-events";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = Ledgerline.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(out)).execute(all);
    return new Run(code, out.toString());
  }
}
