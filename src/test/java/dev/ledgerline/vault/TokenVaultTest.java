package dev.ledgerline.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgerline.vault.VaultException.Reason;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link TokenVault} on real PostgreSQL: round trips, replacement, shredding, and every kind of tampering. */
class TokenVaultTest {
  @RegisterExtension
  static final VaultPostgres db = new VaultPostgres();

  /** Looks like a Plaid access token; it must never show up in a log line or an error message. */
  private static final String TOKEN = "access-sandbox-5e0f4a1c-8d3b-4c2e-9f61-1b7a2c9d0e4f";
  private static final String OTHER = "access-sandbox-00000000-1111-2222-3333-444444444444";
  private static final List<String> MESSAGES = new ArrayList<>();

  @AfterAll
  static void noTokenEverReachedALogLineOrAnErrorMessage() {
    List<String> lines = db.logText();
    assertFalse(lines.isEmpty(), "the capture saw nothing, so it would prove nothing");
    // The failure messages say where, never the line itself: it would carry the token into the test report.
    for (int i = 0; i < lines.size(); i++) {
      String text = lines.get(i);
      assertFalse(text.contains(TOKEN) || text.contains(OTHER), "captured log line " + i + " carries a token");
    }
    for (int i = 0; i < MESSAGES.size(); i++) {
      String message = MESSAGES.get(i);
      assertFalse(message.contains(TOKEN) || message.contains(OTHER), "error message " + i + " carries a token");
    }
  }

  private static VaultException refused(Future<?> call) {
    CompletionException e = assertThrows(CompletionException.class,
        () -> call.toCompletionStage().toCompletableFuture().join());
    Throwable cause = e.getCause();
    assertTrue(cause instanceof VaultException, String.valueOf(cause));
    MESSAGES.add(cause.toString());
    return (VaultException) cause;
  }

  private record Stored(UUID id, String userId, String kind, String keyId, byte[] nonce, byte[] ciphertext) {}

  private Stored row(String userId, String kind) {
    Row r = db.pool().preparedQuery("SELECT * FROM vault_tokens WHERE user_id = $1 AND kind = $2")
        .execute(Tuple.of(userId, kind)).await().iterator().next();
    return new Stored(r.getUUID("id"), r.getString("user_id"), r.getString("kind"), r.getString("key_id"),
        r.getBuffer("nonce").getBytes(), r.getBuffer("ciphertext").getBytes());
  }

  private void update(String set, Object... params) {
    db.pool().preparedQuery("UPDATE vault_tokens SET " + set + " WHERE user_id = 'alice' AND kind = 'plaid'")
        .execute(Tuple.wrap(List.of(params))).await();
  }

  @Test
  void storesRetrievesReplacesAndShredsATokenUnderTheActiveKey() {
    TokenVault vault = db.vault(VaultPostgres.ring("k1", "k1"));
    vault.store("alice", "plaid", TOKEN).await();
    VaultToken token = vault.retrieve("alice", "plaid").await();
    assertEquals(TOKEN, token.reveal());
    assertEquals("VaultToken[***]", token.toString());

    Stored first = row("alice", "plaid");
    assertEquals("k1", first.keyId());
    assertEquals(12, first.nonce().length);
    assertEquals(TOKEN.length() + 16, first.ciphertext().length);
    assertFalse(new String(first.ciphertext(), java.nio.charset.StandardCharsets.ISO_8859_1).contains("access"));

    vault.store("alice", "plaid", OTHER).await();
    Stored second = row("alice", "plaid");
    assertNotEquals(first.id(), second.id(), "a replaced token gets a new row id");
    assertEquals(OTHER, vault.retrieve("alice", "plaid").await().reveal());
    assertEquals(1L, db.pool().query("SELECT count(*) FROM vault_tokens").execute().await().iterator().next()
        .getLong(0));

    assertTrue(vault.delete("alice", "plaid").await());
    assertFalse(vault.delete("alice", "plaid").await());
    assertEquals(Reason.MISSING, refused(vault.retrieve("alice", "plaid")).reason());
  }

  @Test
  void tokensOfOtherUsersAndKindsAreKeptApart() {
    TokenVault vault = db.vault(VaultPostgres.ring("k1", "k1"));
    vault.store("alice", "plaid", TOKEN).await();
    vault.store("bob", "plaid", OTHER).await();
    vault.store("alice", "plaid-secondary", OTHER).await();
    assertEquals(TOKEN, vault.retrieve("alice", "plaid").await().reveal());
    assertEquals(OTHER, vault.retrieve("bob", "plaid").await().reveal());
    assertEquals(Reason.MISSING, refused(vault.retrieve("carol", "plaid")).reason());
  }

  /** Of two writers creating the same token, the first one's stays and the second learns it lost. */
  @Test
  void storeIfAbsentKeepsTheFirstToken() {
    TokenVault vault = db.vault(VaultPostgres.ring("k1", "k1"));
    assertEquals(true, vault.storeIfAbsent("dana", "webhook", TOKEN).await());
    assertEquals(false, vault.storeIfAbsent("dana", "webhook", OTHER).await());
    assertEquals(TOKEN, vault.retrieve("dana", "webhook").await().reveal());
    // A plain store still replaces it.
    vault.store("dana", "webhook", OTHER).await();
    assertEquals(OTHER, vault.retrieve("dana", "webhook").await().reveal());
  }

  /** One tampering per field of the row: each is refused as TAMPERED, and no plaintext comes out. */
  @Test
  void tamperingWithAnyFieldIsRefused() {
    KeyRing ring = VaultPostgres.ring("k1", "k1", "k2");
    TokenVault vault = db.vault(ring);
    record Case(String field, String readAs, Consumer<Stored> tamper) {}
    List<Case> cases = List.of(
        new Case("ciphertext byte", "alice", s -> {
          byte[] c = s.ciphertext().clone();
          c[0] ^= 0x01;
          update("ciphertext = $1", Buffer.buffer(c));
        }),
        new Case("tag byte", "alice", s -> {
          byte[] c = s.ciphertext().clone();
          c[c.length - 1] ^= (byte) 0x80;
          update("ciphertext = $1", Buffer.buffer(c));
        }),
        new Case("truncated tag", "alice", s -> update("ciphertext = $1",
            Buffer.buffer(java.util.Arrays.copyOf(s.ciphertext(), s.ciphertext().length - 1)))),
        new Case("nonce", "alice", s -> {
          byte[] n = s.nonce().clone();
          n[11] ^= 0x01;
          update("nonce = $1", Buffer.buffer(n));
        }),
        new Case("nonce length", "alice", s -> update("nonce = $1",
            Buffer.buffer(java.util.Arrays.copyOf(s.nonce(), 16)))),
        new Case("key id (another key of the ring)", "alice", s -> update("key_id = 'k2'")),
        new Case("row id", "alice", s -> update("id = $1", UUID.randomUUID())),
        new Case("user id", "mallory", s -> update("user_id = 'mallory'")),
        new Case("kind", "alice", s -> update("kind = 'plaid-other'")));
    for (Case c : cases) {
      db.pool().query("TRUNCATE vault_tokens").execute().await();
      vault.store("alice", "plaid", TOKEN).await();
      c.tamper().accept(row("alice", "plaid"));
      String kind = c.field().equals("kind") ? "plaid-other" : "plaid";
      VaultException e = refused(vault.retrieve(c.readAs(), kind));
      assertEquals(Reason.TAMPERED, e.reason(), c.field());
    }
  }

  @Test
  void aCiphertextMovedToAnotherUserOrRowDoesNotDecrypt() {
    TokenVault vault = db.vault(VaultPostgres.ring("k1", "k1"));
    vault.store("alice", "plaid", TOKEN).await();
    vault.store("bob", "plaid", OTHER).await();
    Stored alice = row("alice", "plaid");

    // Alice's nonce and ciphertext pasted into Bob's row.
    db.pool().preparedQuery("UPDATE vault_tokens SET nonce = $1, ciphertext = $2 WHERE user_id = 'bob'")
        .execute(Tuple.of(Buffer.buffer(alice.nonce()), Buffer.buffer(alice.ciphertext()))).await();
    assertEquals(Reason.TAMPERED, refused(vault.retrieve("bob", "plaid")).reason());

    // Alice's whole row, id included, handed to Bob.
    db.pool().query("DELETE FROM vault_tokens WHERE user_id = 'bob'").execute().await();
    db.pool().query("UPDATE vault_tokens SET user_id = 'bob' WHERE user_id = 'alice'").execute().await();
    assertEquals(Reason.TAMPERED, refused(vault.retrieve("bob", "plaid")).reason());

    // Back where it belongs, it opens again: the refusals came from the binding, not from damage.
    db.pool().query("UPDATE vault_tokens SET user_id = 'alice' WHERE user_id = 'bob'").execute().await();
    assertEquals(TOKEN, vault.retrieve("alice", "plaid").await().reveal());
  }

  @Test
  void aRowUnderAKeyIdTheRingDoesNotHaveIsUnknownKey() {
    db.vault(VaultPostgres.ring("k1", "k1")).store("alice", "plaid", TOKEN).await();
    TokenVault withoutK1 = db.vault(VaultPostgres.ring("k2", "k2"));
    VaultException e = refused(withoutK1.retrieve("alice", "plaid"));
    assertEquals(Reason.UNKNOWN_KEY, e.reason());
    assertTrue(e.getMessage().contains("k1"), e.getMessage());
  }

  @Test
  void aKeyIdConfiguredWithOtherBytesIsTheWrongKey() {
    db.vault(VaultPostgres.ring("k1", "k1", "k2")).store("alice", "plaid", TOKEN).await();
    byte[] other = new byte[32];
    other[0] = 9;
    // k1 now names other bytes, but is no longer the active key: the vault opens, and k1's rows say why they fail.
    TokenVault changed = db.vault(KeyRing.of("k2", Map.of("k1", other, "k2", VaultPostgres.K2)));
    assertEquals(Reason.WRONG_KEY, refused(changed.retrieve("alice", "plaid")).reason());
    // As the active key it is refused at once: new tokens under it would not match the old ones.
    assertEquals(Reason.WRONG_KEY,
        refused(TokenVault.open(db.pool(), KeyRing.of("k1", Map.of("k1", other)))).reason());
  }

  @Test
  void badIdentifiersAreRefusedBeforeAnythingIsWritten() {
    TokenVault vault = db.vault(VaultPostgres.ring("k1", "k1"));
    assertThrows(CompletionException.class,
        () -> vault.store("", "plaid", TOKEN).toCompletionStage().toCompletableFuture().join());
    assertThrows(CompletionException.class,
        () -> vault.store("alice", "Plaid Token", TOKEN).toCompletionStage().toCompletableFuture().join());
    assertThrows(CompletionException.class,
        () -> vault.store("al\u0000ice", "plaid", TOKEN).toCompletionStage().toCompletableFuture().join());
    assertThrows(CompletionException.class,
        () -> vault.store("alice", "plaid", "").toCompletionStage().toCompletableFuture().join());
    assertEquals(0L, db.pool().query("SELECT count(*) FROM vault_tokens").execute().await().iterator().next()
        .getLong(0));
  }
}
