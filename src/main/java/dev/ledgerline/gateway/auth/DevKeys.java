package dev.ledgerline.gateway.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * it. Used only with {@code auth.jwt.dev-keys: true} and no other key configured. Never for production: anyone who
 * can read the data directory can mint tokens.
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

  /** Loads the development private key, generating the pair first if there is none. */
  public static synchronized PrivateKey ensure(Path dataDir) {
    Path file = privateKeyFile(dataDir);
    try {
      if (!Files.exists(file)) {
        generate(file);
      }
      tightenPermissions(file);
      return KeyMaterial.privateKey(KeyMaterial.readPem(file, "PRIVATE KEY", "auth.jwt.dev-keys"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create development keys under " + file.getParent(), e);
    } catch (GeneralSecurityException e) {
      throw new AuthConfigException("auth.jwt.dev-keys", "development key " + file + " is not a usable key; delete it "
          + "to have a new pair generated", e);
    }
  }

  private static void generate(Path file) throws IOException, GeneralSecurityException {
    Path dir = file.getParent();
    Files.createDirectories(dir);
    if (posix(dir)) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair pair = gen.generateKeyPair();
    // Written to a temporary file created 0600 and moved into place, so the key is never readable by others and a
    // crash never leaves half a key behind.
    Path tmp = posix(dir)
        ? Files.createTempFile(dir, ".dev-jwt", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
        : Files.createTempFile(dir, ".dev-jwt", ".tmp");
    Files.writeString(tmp, KeyMaterial.pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      Files.deleteIfExists(tmp); // another process won the race; use its key
      return;
    }
    Files.writeString(dir.resolve(PUBLIC_FILE), KeyMaterial.pem("PUBLIC KEY", pair.getPublic().getEncoded()),
        StandardCharsets.US_ASCII);
    LOG.warn("DEVELOPMENT JWT KEYS GENERATED at {} (kid {}). Anyone who can read this file can mint API tokens: "
        + "configure auth.jwt.public-keys or auth.jwt.jwks-file and set auth.jwt.dev-keys: false for production",
        file, KeyMaterial.thumbprint(pair.getPublic()));
  }

  private static void tightenPermissions(Path file) throws IOException {
    if (!posix(file)) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
    if (!ownerOnly.containsAll(perms)) {
      Files.setPosixFilePermissions(file, ownerOnly);
      LOG.warn("development key {} was readable by others; permissions reset to 0600", file);
    }
  }

  private static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
