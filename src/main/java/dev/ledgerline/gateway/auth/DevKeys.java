package dev.ledgerline.gateway.auth;

import dev.ledgerline.infra.SecretFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The development key pair: an RS256 key generated on first use under {@code <node.data-dir>/keys/} (private key
 * readable by the owner only), so that a node on embedded defaults works and {@code ledgerline token} can sign for
 * it. Used only when no other key is configured and {@code auth.jwt.dev-keys} allows it ({@code auto}: the gateway
 * on loopback; {@code true}). Never for production: anyone who can read the data directory can mint tokens.
 */
public final class DevKeys {
  private static final Logger LOG = LoggerFactory.getLogger(DevKeys.class);
  public static final String DIR = "keys";
  public static final String PRIVATE_FILE = "dev-jwt-private.pem";
  public static final String PUBLIC_FILE = "dev-jwt-public.pem";

  private DevKeys() {}

  public static Path privateKeyFile(Path dataDir) {
    return dataDir.resolve(DIR).resolve(PRIVATE_FILE);
  }

  /**
   * Loads the development private key, generating the pair first if there is none. Safe when several threads or
   * processes start on one fresh data directory at once: each writes a candidate to its own temporary file and
   * publishes it with a hard link, which (unlike a rename) never replaces an existing key, so exactly one candidate
   * becomes the key and every other caller reads that one.
   */
  public static PrivateKey ensure(Path dataDir) {
    Path file = privateKeyFile(dataDir);
    try {
      if (!Files.exists(file)) {
        generate(file);
      }
      tightenPermissions(file);
      PrivateKey key = KeyMaterial.privateKey(KeyMaterial.readPem(file, "PRIVATE KEY", "auth.jwt.dev-keys"));
      writePublicKey(file.resolveSibling(PUBLIC_FILE), key);
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create development keys under " + file.getParent(), e);
    } catch (GeneralSecurityException e) {
      throw new AuthConfigException("auth.jwt.dev-keys", "development key " + file + " is not a usable key; delete it "
          + "to have a new pair generated", e);
    }
  }

  private static void generate(Path file) throws IOException, GeneralSecurityException {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair pair = gen.generateKeyPair();
    boolean won = SecretFiles.createOnce(file, ".dev-jwt",
        KeyMaterial.pem("PRIVATE KEY", pair.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII));
    if (won) {
      LOG.warn("DEVELOPMENT JWT KEYS GENERATED at {} (kid {}). Anyone who can read this file can mint API tokens: "
          + "configure auth.jwt.public-keys or auth.jwt.jwks-file and set auth.jwt.dev-keys: false for production",
          file, KeyMaterial.thumbprint(pair.getPublic()));
    }
  }

  /** The public half beside the key, for other tools; rewritten when missing or not the key's own. */
  private static void writePublicKey(Path file, PrivateKey key) throws IOException {
    String pem = KeyMaterial.pem("PUBLIC KEY", KeyMaterial.publicOf(key).getEncoded());
    if (Files.exists(file) && Files.readString(file, StandardCharsets.US_ASCII).equals(pem)) {
      return;
    }
    // Every caller derives the same text from the one key, so replacing another caller's copy is harmless.
    Path tmp = Files.createTempFile(file.getParent(), ".dev-jwt-public", ".tmp");
    try {
      Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void tightenPermissions(Path file) throws IOException {
    if (!SecretFiles.posix(file)) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
    if (!ownerOnly.containsAll(perms)) {
      Files.setPosixFilePermissions(file, ownerOnly);
      LOG.warn("development key {} was readable by others; permissions reset to 0600", file);
    }
  }
}
