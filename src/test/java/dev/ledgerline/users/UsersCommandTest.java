package dev.ledgerline.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.testing.TestData;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** {@code ledgerline users ...} against real PostgreSQL, external and a running node's embedded server. */
class UsersCommandTest {
  @RegisterExtension
  final UsersPostgres db = new UsersPostgres();

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Ledgerline.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  private static String[] external(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--set", "postgres.mode=external", "--set", "postgres.url=" + UsersPostgres.url()));
    return all.toArray(String[]::new);
  }

  @Test
  void createSuspendGrantAndShowWithTheirAuditTrail() {
    Run created = run(external("users", "create", "alice", "--roles", "user", "--reason", "onboarding"));
    assertEquals(0, created.exit(), created.err());
    assertEquals("active", new JsonObject(created.out()).getString("status"));

    assertEquals(0, run(external("users", "grant", "alice", "webhooks:manage")).exit());
    Run suspended = run(external("users", "suspend", "alice", "--reason", "fraud review"));
    assertEquals(0, suspended.exit(), suspended.err());

    User alice = db.store().find("alice").await().orElseThrow();
    assertEquals(UserStatus.SUSPENDED, alice.status());
    assertTrue(alice.grants().contains(Permission.WEBHOOKS_MANAGE));
    Run shown = run(external("users", "show", "alice"));
    JsonObject json = new JsonObject(shown.out());
    assertEquals(3, json.getJsonArray("events").size());
    JsonObject last = json.getJsonArray("events").getJsonObject(2);
    assertEquals("fraud review", last.getString("reason"));
    assertTrue(last.getString("actor").startsWith("cli:"));
  }

  @Test
  void badInputChangesNothingAndSaysWhy() {
    Run unknown = run(external("users", "create", "bob", "--roles", "root"));
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().contains("unknown role"), unknown.err());
    Run badPermission = run(external("users", "create", "bob", "--grant", "money:print"));
    assertEquals(2, badPermission.exit());
    assertTrue(badPermission.err().contains("unknown permission"), badPermission.err());
    assertTrue(db.store().find("bob").await().isEmpty());
    Run missing = run(external("users", "suspend", "nobody"));
    assertEquals(1, missing.exit());
  }

  @Test
  void attachesToTheRunningNodesEmbeddedServer() {
    Path dir = TestData.tempRoot("ledgerline-users-cli").resolve("pg");
    DataServices node = DataServices.startPostgres(db.vertx(), PostgresSettings.embedded(dir)).await();
    try {
      Run created = run("users", "create", "carol", "--roles", "admin", "--set", "postgres.data-dir=" + dir);
      assertEquals(0, created.exit(), created.err());
      UserStore nodeStore = new UserStore(node.pool(), RolePermissions.defaults());
      assertEquals(java.util.Set.of(Role.ADMIN), nodeStore.find("carol").await().orElseThrow().roles());
    } finally {
      node.close().await();
    }
  }
}
