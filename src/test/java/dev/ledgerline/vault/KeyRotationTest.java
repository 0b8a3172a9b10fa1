package dev.ledgerline.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.testing.TestData;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** {@link KeyRotation} and {@code ledgerline vault rotate} on real PostgreSQL, with readers and writers running. */
class KeyRotationTest {
  @RegisterExtension
  static final VaultPostgres db = new VaultPostgres();

  private static String token(int user, int version) {
    return "access-sandbox-rotation-" + user + "-v" + version + "-7f3a9c";
  }

  @AfterAll
  static void noTokenReachedTheLogs() {
    List<String> lines = db.logText();
    for (int i = 0; i < lines.size(); i++) {
      assertFalse(lines.get(i).contains("access-sandbox-rotation-"), "captured log line " + i + " carries a token");
    }
  }

  private Map<String, Long> keysInUse() {
    Map<String, Long> out = new HashMap<>();
    for (Row r : db.pool().query("SELECT key_id, count(*) FROM vault_tokens GROUP BY key_id").execute().await()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  private static void seed(TokenVault vault, int users) {
    List<Future<Void>> writes = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      writes.add(vault.store("user-" + u, "plaid", token(u, 1)));
    }
    Future.all(writes).await();
  }

  @Test
  void readsAndWritesDuringARotationAlwaysSeeTheRightToken() {
    int users = 300;
    seed(db.vault(VaultPostgres.ring("k1", "k1")), users);
    TokenVault rotated = db.vault(VaultPostgres.ring("k2", "k1", "k2"));
    // Readers and a writer that already run on the new configuration, while the rotation moves rows under them.
    TokenVault node = db.vault(VaultPostgres.ring("k2", "k1", "k2"));
    Map<Integer, Integer> latest = new ConcurrentHashMap<>();
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger reads = new AtomicInteger();
    List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());

    Future<KeyRotation.Summary> rotation = new KeyRotation(rotated, 7).run();
    rotation.onComplete(ar -> done.set(true));
    List<Future<Void>> workers = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      int offset = r * 97;
      workers.add(readUntil(done, () -> {
        int u = (offset + reads.getAndIncrement() * 31) % users;
        // A user the writer is replacing may read either version; any other answer is wrong.
        return node.retrieve("user-" + u, "plaid").map(t -> {
          String got = t.reveal();
          int version = latest.getOrDefault(u, 1);
          if (!List.of(token(u, version - 1), token(u, version), token(u, version + 1)).contains(got)) {
            wrong.add("user-" + u);
          }
          return null;
        });
      }));
    }
    AtomicInteger writes = new AtomicInteger();
    workers.add(readUntil(done, () -> {
      int u = (writes.getAndIncrement() * 13) % users;
      int next = latest.getOrDefault(u, 1) + 1;
      return node.store("user-" + u, "plaid", token(u, next)).map(v -> {
        latest.put(u, next);
        return null;
      });
    }));

    KeyRotation.Summary summary = rotation.await();
    Future.all(workers).await();
    assertTrue(wrong.isEmpty(), "reads that returned another token: " + wrong);
    assertTrue(reads.get() > 10, "readers ran only " + reads.get() + " times during " + summary.batches()
        + " batches");
    assertTrue(summary.complete(), summary.toJson().encode());
    // The writer may have replaced a few rows under k2 before the rotation counted.
    assertEquals(users, summary.before().values().stream().mapToLong(Long::longValue).sum());
    assertTrue(summary.before().get("k1") > users / 2, summary.before().toString());
    assertEquals(Map.of("k2", (long) users), keysInUse());
    for (int u = 0; u < users; u++) {
      assertEquals(token(u, latest.getOrDefault(u, 1)), node.retrieve("user-" + u, "plaid").await().reveal());
    }
    assertTrue(db.pool().query("SELECT count(*) FROM vault_tokens WHERE key_id = 'k2' AND rotated_at IS NOT NULL")
        .execute().await().iterator().next().getLong(0) > 0);
  }

  /** Runs {@code step} again and again, one at a time, until {@code done}. */
  private static Future<Void> readUntil(AtomicBoolean done, java.util.function.Supplier<Future<Void>> step) {
    Promise<Void> finished = Promise.promise();
    loop(done, step, finished);
    return finished.future();
  }

  private static void loop(AtomicBoolean done, java.util.function.Supplier<Future<Void>> step,
      Promise<Void> finished) {
    if (done.get()) {
      finished.tryComplete();
      return;
    }
    step.get().onComplete(ar -> {
      if (ar.failed()) {
        finished.tryFail(ar.cause());
      } else {
        loop(done, step, finished);
      }
    });
  }

  @Test
  void aRotationStoppedPartWayIsFinishedByTheNextRun() {
    seed(db.vault(VaultPostgres.ring("k1", "k1")), 25);
    TokenVault vault = db.vault(VaultPostgres.ring("k2", "k1", "k2"));

    KeyRotation.Summary partial = new KeyRotation(vault, 10).run(1).await();
    assertEquals(10, partial.rotated());
    assertFalse(partial.complete());
    assertEquals(Map.of("k1", 15L), partial.remaining());
    assertEquals(Map.of("k1", 15L, "k2", 10L), keysInUse());

    KeyRotation.Summary rest = new KeyRotation(vault, 10).run().await();
    assertEquals(15, rest.rotated());
    assertTrue(rest.complete());
    assertEquals(Map.of("k2", 25L), keysInUse());
    for (int u = 0; u < 25; u++) {
      assertEquals(token(u, 1), vault.retrieve("user-" + u, "plaid").await().reveal());
    }
    // Nothing left: a third run changes nothing and says so.
    KeyRotation.Summary again = new KeyRotation(vault, 10).run().await();
    assertEquals(0, again.rotated());
    assertTrue(again.complete());
  }

  @Test
  void aRotationWhoseConnectionIsKilledMidBatchLosesOnlyThatBatch() {
    int users = 400;
    seed(db.vault(VaultPostgres.ring("k1", "k1")), users);
    // The rotation on a pool of its own, named, so its backend can be killed as a crash of the command would.
    io.vertx.pgclient.PgConnectOptions options = VaultPostgres.server().postgresUrl().orElseThrow().connectOptions()
        .addProperty("application_name", "vault-rotation-under-test");
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    io.vertx.sqlclient.Pool own = io.vertx.pgclient.PgBuilder.pool().connectingTo(options).using(vertx).build();
    try {
      KeyRing ring = VaultPostgres.ring("k2", "k1", "k2");
      Future<KeyRotation.Summary> killed = new KeyRotation(TokenVault.open(own, ring).await(), 1).run();
      dev.ledgerline.testing.Poll.until(java.time.Duration.ofSeconds(30), "some batches committed",
          () -> keysInUse().getOrDefault("k2", 0L) >= 20);
      db.pool().query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          + " WHERE application_name = 'vault-rotation-under-test'").execute().await();
      assertTrue(killed.toCompletionStage().toCompletableFuture().handle((s, e) -> e != null).join(),
          "the rotation survived the loss of its connection");

      Map<String, Long> between = keysInUse();
      assertEquals(users, between.values().stream().mapToLong(Long::longValue).sum());
      assertTrue(between.getOrDefault("k1", 0L) > 0, "the kill came after the rotation had finished");
      TokenVault node = db.vault(ring);
      for (int u = 0; u < users; u++) {
        assertEquals(token(u, 1), node.retrieve("user-" + u, "plaid").await().reveal());
      }

      KeyRotation.Summary resumed = new KeyRotation(node, 50).run().await();
      assertTrue(resumed.complete(), resumed.toJson().encode());
      assertEquals(between.get("k1").longValue(), resumed.rotated());
      assertEquals(Map.of("k2", (long) users), keysInUse());
      for (int u = 0; u < users; u++) {
        assertEquals(token(u, 1), node.retrieve("user-" + u, "plaid").await().reveal());
      }
    } finally {
      own.close().await();
      vertx.close().await();
    }
  }

  @Test
  void rowsThatCannotBeOpenedAreReportedAndLeftAsTheyAre() {
    seed(db.vault(VaultPostgres.ring("k1", "k1")), 5);
    db.pool().query("UPDATE vault_tokens SET nonce = decode('000000000000000000000000', 'hex')"
        + " WHERE user_id = 'user-3'").execute().await();
    TokenVault vault = db.vault(VaultPostgres.ring("k2", "k1", "k2"));
    KeyRotation.Summary summary = new KeyRotation(vault, 2).run().await();
    assertEquals(4, summary.rotated());
    assertEquals(1, summary.failed());
    assertEquals("user-3", summary.failures().get(0).userId());
    assertEquals(VaultException.Reason.TAMPERED, summary.failures().get(0).reason());
    assertEquals(Map.of("k1", 1L), summary.remaining());
    assertFalse(summary.complete());
    assertEquals("tampered", summary.toJson().getJsonArray("failures").getJsonObject(0).getString("reason"));
  }

  private record Run(int exit, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Ledgerline.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static Path keyFile(Path dir, String name, byte[] key) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  @Test
  void theRotateCommandPrintsAJsonSummaryOnStandardOutput() throws Exception {
    seed(db.vault(VaultPostgres.ring("k1", "k1")), 12);
    Path dir = TestData.newRoot("ledgerline-vault-cli");
    try {
      Path k1 = keyFile(dir, "k1.key", VaultPostgres.K1);
      Path k2 = keyFile(dir, "k2.key", VaultPostgres.K2);
      String url = VaultPostgres.server().postgresUrl().orElseThrow().url();
      String keys = new JsonObject().put("k1", "file:" + k1).put("k2", "file:" + k2).encode();
      String[] common = {"--set", "postgres.mode=external", "--set", "postgres.url=" + url,
          "--set", "node.data-dir=" + dir.resolve("data"), "--set", "vault.keys=" + keys};

      Run run = cli(concat(new String[] {"vault", "rotate", "--batch-size", "5", "--set", "vault.active-key=k2"},
          common));
      assertEquals(0, run.exit(), run.err());
      JsonObject summary = new JsonObject(run.out());
      assertEquals("k2", summary.getString("active_key"));
      assertTrue(summary.getBoolean("complete"));
      assertEquals(12L, summary.getLong("rotated"));
      assertEquals(3, summary.getInteger("batches"));
      assertEquals(12L, summary.getJsonObject("rows_by_key_before").getLong("k1"));
      assertTrue(summary.getJsonObject("remaining_by_key").isEmpty());
      assertEquals(Map.of("k2", 12L), keysInUse());

      // Without k2 in the ring the rows cannot be opened: named, exit 1, nothing changed.
      Run missing = cli(concat(new String[] {"vault", "rotate", "--set", "vault.active-key=k1", "--set",
          "vault.keys=" + new JsonObject().put("k1", "file:" + k1).encode()},
          java.util.Arrays.copyOfRange(common, 0, 6)));
      assertEquals(1, missing.exit(), missing.err());
      JsonObject failed = new JsonObject(missing.out());
      assertEquals(12L, failed.getLong("failed"));
      assertEquals("unknown_key", failed.getJsonArray("failures").getJsonObject(0).getString("reason"));

      Run badConfig = cli(concat(new String[] {"vault", "rotate", "--set", "vault.active-key=k9"}, common));
      assertEquals(2, badConfig.exit());
      assertTrue(badConfig.err().contains("vault.active-key"), badConfig.err());
      assertNotNull(badConfig.out());
    } finally {
      TestData.delete(dir);
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
