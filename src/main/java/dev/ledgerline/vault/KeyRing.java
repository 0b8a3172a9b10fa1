package dev.ledgerline.vault;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.infra.SecretFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vault's versioned keys: key id → 32-byte AES key, and the one new tokens are encrypted under. Old keys stay in
 * the ring until a rotation has moved every row off them. Nothing here prints key material: {@link #toString()}
 * names ids only, and no message carries a key or the text it was read from.
 */
public final class KeyRing {
  private static final Logger LOG = LoggerFactory.getLogger(KeyRing.class);
  /** The key id of the generated development key. */
  public static final String DEV_KEY_ID = "dev";
  /** Where the development key lives, under {@code node.data-dir}. */
  public static final String DEV_KEY_FILE = "keys/vault-dev.key";
  static final int KEY_BYTES = 32;
  private static final byte[] CHECK_TEXT = "ledgerline vault key check v1".getBytes(StandardCharsets.US_ASCII);
  private static final int CHECK_BYTES = 16;
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private final Map<String, SecretKey> keys;
  private final String activeKeyId;

  private KeyRing(Map<String, SecretKey> keys, String activeKeyId) {
    this.keys = keys;
    this.activeKeyId = activeKeyId;
  }

  /**
   * A ring of the given keys (each exactly 32 bytes; the arrays are copied) with {@code activeKeyId} in use.
   *
   * @throws ConfigException naming the key id when a key has the wrong length or the active id has no key
   */
  public static KeyRing of(String activeKeyId, Map<String, byte[]> keys) {
    Map<String, SecretKey> ring = new LinkedHashMap<>();
    keys.forEach((id, bytes) -> {
      if (bytes == null || bytes.length != KEY_BYTES) {
        throw new ConfigException("vault.keys." + id, "invalid configuration: vault key " + id + " is "
            + (bytes == null ? 0 : bytes.length) + " bytes long; an AES-256 key is exactly " + KEY_BYTES + " bytes");
      }
      ring.put(id, new SecretKeySpec(bytes, "AES"));
    });
    if (!ring.containsKey(activeKeyId)) {
      throw new ConfigException("vault.active-key", "invalid configuration: vault.active-key = \"" + activeKeyId
          + "\" names no key of vault.keys " + ring.keySet());
    }
    return new KeyRing(Collections.unmodifiableMap(ring), activeKeyId);
  }

  /** The ring a node or a command builds from its configuration, reading keys from the process environment. */
  public static KeyRing fromConfig(LedgerlineConfig cfg) {
    return from(cfg.vault(), cfg.node().dataDir(), cfg.postgres().mode() == LedgerlineConfig.Mode.EMBEDDED,
        System.getenv());
  }

  /**
   * Whether {@link #fromConfig} has keys to build a ring from: {@code vault.keys} is set, or a development key is
   * allowed ({@code vault.dev-key: true}, or {@code auto} with embedded PostgreSQL). False means the vault is not
   * configured on this node, which is not an error until something needs it.
   */
  public static boolean configured(LedgerlineConfig cfg) {
    LedgerlineConfig.Vault vault = cfg.vault();
    return !vault.keys().isEmpty() || !vault.activeKey().isEmpty() || devKeyAllowed(vault,
        cfg.postgres().mode() == LedgerlineConfig.Mode.EMBEDDED);
  }

  private static boolean devKeyAllowed(LedgerlineConfig.Vault vault, boolean embeddedPostgres) {
    return "true".equals(vault.devKey()) || ("auto".equals(vault.devKey()) && embeddedPostgres);
  }

  /**
   * @param dataDir {@code node.data-dir}, where a development key is kept
   * @param embeddedPostgres whether the tokens live in the node's own embedded PostgreSQL (then a development key
   *     beside them adds no exposure, and {@code vault.dev-key: auto} allows one)
   * @param env the environment {@code env:NAME} references are read from
   */
  public static KeyRing from(LedgerlineConfig.Vault vault, Path dataDir, boolean embeddedPostgres,
      Map<String, String> env) {
    if (vault.keys().isEmpty()) {
      if (!vault.activeKey().isEmpty()) {
        throw new ConfigException("vault.active-key", "invalid configuration: vault.active-key = \""
            + vault.activeKey() + "\" names no key: vault.keys is empty");
      }
      if (!devKeyAllowed(vault, embeddedPostgres)) {
        throw new ConfigException("vault.keys", "invalid configuration: vault.keys is empty, and a development key"
            + " is " + ("false".equals(vault.devKey()) ? "turned off (vault.dev-key: false)"
                : "used only with embedded PostgreSQL (vault.dev-key: auto)")
            + "; configure vault.keys and vault.active-key (docs/vault.md)");
      }
      Path file = dataDir.resolve(DEV_KEY_FILE);
      byte[] key = devKey(file);
      LOG.warn("Vault tokens are encrypted with the DEVELOPMENT KEY {} (key id \"{}\"). Anyone who can read it and"
          + " the database can read every stored token: configure vault.keys and vault.active-key for production",
          file, DEV_KEY_ID);
      return ofOwned(DEV_KEY_ID, Map.of(DEV_KEY_ID, key));
    }
    String active = vault.activeKey();
    if (active.isEmpty()) {
      throw new ConfigException("vault.active-key", "invalid configuration: vault.active-key is empty; name the key"
          + " of vault.keys " + vault.keys().keySet() + " new tokens are encrypted under");
    }
    Map<String, byte[]> keys = new LinkedHashMap<>();
    vault.keys().forEach((id, reference) -> keys.put(id, resolve(id, reference, env)));
    return ofOwned(active, keys);
  }

  /** {@link #of} for arrays nobody else holds: they are wiped once copied into the ring. */
  private static KeyRing ofOwned(String active, Map<String, byte[]> keys) {
    try {
      return of(active, keys);
    } finally {
      keys.values().forEach(b -> Arrays.fill(b, (byte) 0));
    }
  }

  public String activeKeyId() {
    return activeKeyId;
  }

  public Set<String> keyIds() {
    return keys.keySet();
  }

  Optional<SecretKey> key(String keyId) {
    return Optional.ofNullable(keys.get(keyId));
  }

  SecretKey activeKey() {
    return keys.get(activeKeyId);
  }

  /**
   * A short HMAC of a fixed text under the key: it tells whether an id still names the same key bytes, and says
   * nothing about them.
   */
  byte[] check(String keyId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(keys.get(keyId).getEncoded(), "HmacSHA256"));
      return Arrays.copyOf(mac.doFinal(CHECK_TEXT), CHECK_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  @Override
  public String toString() {
    return "KeyRing[active=" + activeKeyId + ", keys=" + keys.keySet() + "]";
  }

  /** Reads {@code env:NAME} or {@code file:PATH}: the base64 of exactly 32 bytes. */
  static byte[] resolve(String keyId, String reference, Map<String, String> env) {
    String key = "vault.keys." + keyId;
    String text;
    if (reference.startsWith("env:")) {
      String name = reference.substring("env:".length());
      if (!ENV_NAME.matcher(name).matches()) {
        throw new ConfigException(key, "invalid configuration: " + key + " = \"" + reference
            + "\" does not name an environment variable");
      }
      text = env.get(name);
      if (text == null || text.isBlank()) {
        throw new ConfigException(key, "invalid configuration: " + key + " = \"" + reference
            + "\": the environment variable " + name + " is not set");
      }
    } else if (reference.startsWith("file:")) {
      text = readKeyFile(key, Path.of(reference.substring("file:".length())));
    } else {
      // The value is not echoed: a key pasted here by mistake must not reach the log.
      throw new ConfigException(key, "invalid configuration: " + key + " is neither env:NAME nor file:PATH (the value"
          + " is not shown, in case it is a key itself)");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text.trim());
    } catch (IllegalArgumentException e) {
      // The decoder's message quotes the offending character, which is part of the key: say nothing of it.
      throw new ConfigException(key, "invalid configuration: " + key + " (" + reference + ") is not base64");
    }
    if (bytes.length != KEY_BYTES) {
      int length = bytes.length;
      Arrays.fill(bytes, (byte) 0);
      throw new ConfigException(key, "invalid configuration: " + key + " (" + reference + ") holds " + length
          + " bytes; an AES-256 key is exactly " + KEY_BYTES + " bytes (openssl rand -base64 32)");
    }
    return bytes;
  }

  /** A key file's text, refused when anyone but its owner may read or write it. */
  private static String readKeyFile(String key, Path file) {
    try {
      if (SecretFiles.posix(file)) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY.containsAll(perms)) {
          throw new ConfigException(key, "invalid configuration: vault key file " + file + " has permissions "
              + PosixFilePermissions.toString(perms) + "; a key file must be readable by its owner only"
              + " (chmod 600)");
        }
      }
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new ConfigException(key, "invalid configuration: vault key file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException(key, "invalid configuration: vault key file " + file + " cannot be read: "
          + e.getClass().getSimpleName());
    }
  }

  /** The development key at {@code file}, generated on first use. */
  static byte[] devKey(Path file) {
    try {
      if (!Files.exists(file)) {
        generate(file);
      }
    } catch (IOException e) {
      throw new ConfigException("vault.dev-key", "cannot create the development vault key " + file + ": "
          + e.getMessage());
    }
    return resolve(DEV_KEY_ID, "file:" + file, Map.of());
  }

  private static void generate(Path file) throws IOException {
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    byte[] text = (Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII);
    Arrays.fill(key, (byte) 0);
    boolean won;
    try {
      won = SecretFiles.createOnce(file, ".vault-dev", text);
    } finally {
      Arrays.fill(text, (byte) 0);
    }
    if (won) {
      LOG.warn("DEVELOPMENT VAULT KEY GENERATED at {}. It encrypts provider tokens on this node only;"
          + " production configures vault.keys and vault.active-key", file);
    }
  }
}
