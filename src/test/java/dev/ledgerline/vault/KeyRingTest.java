package dev.ledgerline.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.testing.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The key ring from {@code vault.*}: references, key lengths, key files and the development key. */
class KeyRingTest {
  private static final String KEY1 = Base64.getEncoder().encodeToString(bytes(32, 1));
  private static final String KEY2 = Base64.getEncoder().encodeToString(bytes(32, 2));

  @TempDir
  Path dir;

  @RegisterExtension
  final LogCapture logs = LogCapture.of(KeyRing.class);

  private static byte[] bytes(int n, int fill) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
  }

  private static LedgerlineConfig.Vault vault(String active, Map<String, String> keys, String devKey) {
    return new LedgerlineConfig.Vault(active, keys, devKey, 100);
  }

  private Path keyFile(String name, String text, String perms) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
    return file;
  }

  @Test
  void keysComeFromEnvironmentVariablesAndOwnerOnlyFiles() throws Exception {
    Path file = keyFile("k2.key", KEY2 + "\n", "rw-------");
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("k1", "env:VAULT_K1");
    keys.put("k2", "file:" + file);
    KeyRing ring = KeyRing.from(vault("k2", keys, "false"), dir, false, Map.of("VAULT_K1", KEY1));
    assertEquals("k2", ring.activeKeyId());
    assertEquals(List.of("k1", "k2"), List.copyOf(ring.keyIds()));
    assertArrayEquals(bytes(32, 1), ring.key("k1").orElseThrow().getEncoded());
    assertArrayEquals(bytes(32, 2), ring.activeKey().getEncoded());
    assertEquals("KeyRing[active=k2, keys=[k1, k2]]", ring.toString());
  }

  @Test
  void keysOfAnyLengthButThirtyTwoBytesAreRefused() throws Exception {
    for (int length : new int[] {0, 16, 24, 31, 33, 64}) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> KeyRing.of("k1", Map.of("k1", new byte[length])));
      assertEquals("vault.keys.k1", e.key());
    }
    String shortKey = Base64.getEncoder().encodeToString(bytes(16, 7));
    ConfigException fromEnv = assertThrows(ConfigException.class, () -> KeyRing.from(
        vault("k1", Map.of("k1", "env:K"), "false"), dir, false, Map.of("K", shortKey)));
    assertTrue(fromEnv.getMessage().contains("holds 16 bytes"), fromEnv.getMessage());
    assertFalse(fromEnv.getMessage().contains(shortKey));
    Path file = keyFile("long.key", Base64.getEncoder().encodeToString(bytes(48, 3)), "rw-------");
    assertThrows(ConfigException.class,
        () -> KeyRing.from(vault("k1", Map.of("k1", "file:" + file), "false"), dir, false, Map.of()));
    ConfigException notBase64 = assertThrows(ConfigException.class, () -> KeyRing.from(
        vault("k1", Map.of("k1", "env:K"), "false"), dir, false, Map.of("K", "not*base64*secret")));
    assertFalse(notBase64.getMessage().contains("secret"), notBase64.getMessage());
  }

  @Test
  void aKeyPastedInPlaceOfAReferenceIsRefusedWithoutBeingEchoed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> KeyRing.from(vault("k1", Map.of("k1", KEY1), "false"), dir, false, Map.of()));
    assertEquals("vault.keys.k1", e.key());
    assertFalse(e.getMessage().contains(KEY1), e.getMessage());
    // Through the whole configuration as well: the schema accepts any text there and leaves the judging to the ring.
    LedgerlineConfig cfg = new dev.ledgerline.config.ConfigResolver().resolve(new io.vertx.core.json.JsonObject(),
        Map.of(), Map.of(), Map.of("vault.keys", new io.vertx.core.json.JsonObject().put("k1", KEY1).encode(),
            "vault.active-key", "k1"));
    assertEquals(Map.of("k1", KEY1), cfg.vault().keys());
    assertEquals(100, cfg.vault().rotationBatchSize());
    assertThrows(ConfigException.class, () -> KeyRing.fromConfig(cfg));
  }

  @Test
  void aKeyFileOthersCanReadIsRefused() throws Exception {
    Path file = keyFile("open.key", KEY1, "rw-r--r--");
    ConfigException e = assertThrows(ConfigException.class,
        () -> KeyRing.from(vault("k1", Map.of("k1", "file:" + file), "false"), dir, false, Map.of()));
    assertTrue(e.getMessage().contains("rw-r--r--"), e.getMessage());
    assertFalse(e.getMessage().contains(KEY1));
  }

  @Test
  void theActiveKeyMustBeInTheRingAndEveryReferenceMustResolve() {
    assertEquals("vault.active-key", assertThrows(ConfigException.class, () -> KeyRing.from(
        vault("k9", Map.of("k1", "env:K"), "false"), dir, false, Map.of("K", KEY1))).key());
    assertEquals("vault.active-key", assertThrows(ConfigException.class, () -> KeyRing.from(
        vault("", Map.of("k1", "env:K"), "false"), dir, false, Map.of("K", KEY1))).key());
    assertEquals("vault.keys.k1", assertThrows(ConfigException.class, () -> KeyRing.from(
        vault("k1", Map.of("k1", "env:UNSET"), "false"), dir, false, Map.of())).key());
    assertEquals("vault.keys.k1", assertThrows(ConfigException.class, () -> KeyRing.from(
        vault("k1", Map.of("k1", "file:" + dir.resolve("absent")), "false"), dir, false, Map.of())).key());
  }

  @Test
  void withoutKeysADevelopmentKeyIsGeneratedOwnerOnlyAndWarnedAbout() throws Exception {
    KeyRing ring = KeyRing.from(vault("", Map.of(), "auto"), dir, true, Map.of());
    Path file = dir.resolve(KeyRing.DEV_KEY_FILE);
    assertEquals(KeyRing.DEV_KEY_ID, ring.activeKeyId());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    assertArrayEquals(Base64.getDecoder().decode(Files.readString(file).trim()), ring.activeKey().getEncoded());
    assertTrue(logs.events().stream().anyMatch(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().contains("DEVELOPMENT VAULT KEY GENERATED")));
    assertTrue(logs.events().stream().anyMatch(e -> e.getLevel() == Level.WARN
        && e.getFormattedMessage().contains("DEVELOPMENT KEY")));
    String encoded = Files.readString(file).trim();
    assertTrue(logs.events().stream().noneMatch(e -> e.getFormattedMessage().contains(encoded)));

    // The next start uses the same key and generates nothing.
    logs.clear();
    KeyRing again = KeyRing.from(vault("", Map.of(), "auto"), dir, true, Map.of());
    assertArrayEquals(ring.activeKey().getEncoded(), again.activeKey().getEncoded());
    assertTrue(logs.events().stream().noneMatch(e -> e.getFormattedMessage().contains("GENERATED")));
  }

  @Test
  void processesStartingTogetherAllGetTheOneDevelopmentKey() throws Exception {
    Path file = dir.resolve(KeyRing.DEV_KEY_FILE);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<byte[]>> keys = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        keys.add(pool.submit(() -> {
          start.await();
          return KeyRing.devKey(file);
        }));
      }
      start.countDown();
      byte[] first = keys.get(0).get();
      for (java.util.concurrent.Future<byte[]> k : keys) {
        assertArrayEquals(first, k.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, logs.events().stream().filter(e -> e.getFormattedMessage().contains("GENERATED")).count());
    try (var leftovers = Files.list(file.getParent())) {
      assertEquals(List.of(file), leftovers.toList(), "no temporary file is left behind");
    }
  }

  @Test
  void aDevelopmentKeyFileOthersCanReadIsRefused() throws Exception {
    KeyRing.from(vault("", Map.of(), "true"), dir, false, Map.of());
    Path file = dir.resolve(KeyRing.DEV_KEY_FILE);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    ConfigException e = assertThrows(ConfigException.class,
        () -> KeyRing.from(vault("", Map.of(), "true"), dir, false, Map.of()));
    assertTrue(e.getMessage().contains("readable by its owner only"), e.getMessage());
  }

  @Test
  void noDevelopmentKeyBesideExternalPostgresUnlessAskedFor() {
    ConfigException auto = assertThrows(ConfigException.class,
        () -> KeyRing.from(vault("", Map.of(), "auto"), dir, false, Map.of()));
    assertEquals("vault.keys", auto.key());
    assertThrows(ConfigException.class, () -> KeyRing.from(vault("", Map.of(), "false"), dir, true, Map.of()));
    assertFalse(Files.exists(dir.resolve(KeyRing.DEV_KEY_FILE)));
    assertEquals(KeyRing.DEV_KEY_ID, KeyRing.from(vault("", Map.of(), "true"), dir, false, Map.of()).activeKeyId());
  }

  /** postgres.mode | vault.dev-key | vault.keys | configured (what a node decides before it builds the vault). */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', textBlock = """
      embedded | auto  | none | true
      embedded | false | none | false
      embedded | true  | none | true
      external | auto  | none | false
      external | true  | none | true
      external | false | one  | true
      external | auto  | one  | true
      """)
  void configuredSaysWhetherTheConfigurationHasKeysToBuildARingFrom(String postgres, String devKey, String keys,
      boolean configured) {
    Map<String, String> set = new java.util.HashMap<>(Map.of("vault.dev-key", devKey, "postgres.mode", postgres));
    if (postgres.equals("external")) {
      set.put("postgres.url", "postgresql://ledgerline@127.0.0.1:5432/ledgerline");
    }
    if (keys.equals("one")) {
      set.put("vault.keys", new io.vertx.core.json.JsonObject().put("k1", "env:LEDGERLINE_TEST_VAULT_KEY").encode());
      set.put("vault.active-key", "k1");
    }
    LedgerlineConfig cfg = new dev.ledgerline.config.ConfigResolver().resolve(new io.vertx.core.json.JsonObject(),
        Map.of(), Map.of(), set);
    assertEquals(configured, KeyRing.configured(cfg));
  }

  @Test
  void checkValuesTellKeysApartAndRevealNothingOfThem() {
    KeyRing ring = KeyRing.of("k1", Map.of("k1", bytes(32, 1), "k2", bytes(32, 2)));
    assertEquals(16, ring.check("k1").length);
    assertFalse(java.util.Arrays.equals(ring.check("k1"), ring.check("k2")));
    assertArrayEquals(ring.check("k1"), KeyRing.of("x", Map.of("x", bytes(32, 1), "k1", bytes(32, 1))).check("k1"));
  }
}
