package dev.ledgerline.infra;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.ArchUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;
import redis.embedded.model.OsArchitecture;

/**
 * Unpacks the PostgreSQL and redis-server binaries shipped inside the dependency jars into a cache directory under
 * {@code java.io.tmpdir}, once per content hash. The cache is world-readable so that a server dropped to an
 * unprivileged user can execute it, and writable only by its owner.
 */
public final class EmbeddedBinaries {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBinaries.class);
  private static final String COMPLETE_MARKER = ".complete";
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final Set<PosixFilePermission> EXEC_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

  private EmbeddedBinaries() {
  }

  private static Path postgres;
  private static Path redis;

  /** The PostgreSQL installation directory (with {@code bin/}, {@code lib/}, {@code share/}). */
  public static synchronized Path postgres() throws IOException {
    if (postgres == null || !Files.exists(postgres.resolve(COMPLETE_MARKER))) {
      postgres = unpackPostgres();
    }
    return postgres;
  }

  /** The redis-server executable. */
  public static synchronized Path redis() throws IOException {
    if (redis == null || !Files.isExecutable(redis)) {
      redis = unpackRedis();
    }
    return redis;
  }

  private static Path unpackPostgres() throws IOException {
    String os = Processes.isLinux() ? "Linux" : Processes.isWindows() ? "Windows" : "Darwin";
    String arch = ArchUtils.normalize(System.getProperty("os.arch"));
    byte[] archive;
    try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(os, arch)) {
      if (in == null) {
        throw new IOException("no embedded PostgreSQL binaries for " + os + "/" + arch);
      }
      archive = in.readAllBytes();
    }
    return install("pg-" + shortHash(archive), dir -> extractTxz(archive, dir));
  }

  private static Path unpackRedis() throws IOException {
    String resource = ExecutableProvider.newProvidedVersionsMap().get(OsArchitecture.detectOSandArchitecture());
    if (resource == null) {
      throw new IOException("no embedded redis-server for " + OsArchitecture.detectOSandArchitecture());
    }
    byte[] binary;
    try (InputStream in = RedisServer.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("redis-server resource " + resource + " missing from the classpath");
      }
      binary = in.readAllBytes();
    }
    Path dir = install("redis-" + shortHash(binary), d -> {
      Path exe = d.resolve("redis-server");
      Files.write(exe, binary);
      setMode(exe, EXEC_MODE);
    });
    return dir.resolve("redis-server");
  }

  private interface Unpacker {
    void unpackInto(Path dir) throws IOException;
  }

  private static Path install(String name, Unpacker unpacker) throws IOException {
    Path root = cacheRoot();
    Path target = root.resolve(name);
    if (Files.exists(target.resolve(COMPLETE_MARKER))) {
      return target;
    }
    // Unpack beside the target and rename it into place, so a crash or a concurrent node never sees half a tree.
    Path staging = Files.createTempDirectory(root, name + ".");
    try {
      setMode(staging, DIR_MODE);
      unpacker.unpackInto(staging);
      Files.createFile(staging.resolve(COMPLETE_MARKER));
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        LOG.debug("Unpacked {}", target);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        if (!Files.exists(target.resolve(COMPLETE_MARKER))) {
          deleteTree(target);
          Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (IOException e) {
        // Another process won the race with a non-empty directory.
        if (!Files.exists(target.resolve(COMPLETE_MARKER))) {
          throw e;
        }
      }
    } finally {
      deleteTree(staging);
    }
    return target;
  }

  /**
   * {@code tmpdir/ledgerline-embedded}, if it is ours and nobody else can write it; otherwise a private fresh
   * directory, because executing binaries from a directory others can write would let them run code as us.
   */
  private static Path cacheRoot() throws IOException {
    Path root = Path.of(System.getProperty("java.io.tmpdir"), "ledgerline-embedded");
    try {
      Files.createDirectories(root);
      setMode(root, DIR_MODE);
    } catch (IOException e) {
      LOG.debug("Shared binary cache {} unusable", root, e);
    }
    if (isPrivate(root)) {
      return root;
    }
    Path own = Files.createTempDirectory("ledgerline-embedded-");
    setMode(own, DIR_MODE);
    LOG.warn("{} is not owned by this user or is writable by others; unpacking binaries into {}", root, own);
    return own;
  }

  private static boolean isPrivate(Path dir) {
    if (Processes.isWindows()) {
      return Files.isDirectory(dir);
    }
    try {
      long owner = ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
      return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && owner == Processes.currentUid()
          && !mode.contains(PosixFilePermission.GROUP_WRITE) && !mode.contains(PosixFilePermission.OTHERS_WRITE);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static void extractTxz(byte[] archive, Path dir) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(new ByteArrayInputStream(archive)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path target = root.resolve(entry.getName()).normalize();
        if (!target.startsWith(root)) {
          throw new IOException("archive entry escapes the target directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
          setMode(target, DIR_MODE);
          continue;
        }
        Files.createDirectories(target.getParent());
        if (entry.isSymbolicLink()) {
          Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
        } else if (entry.isLink()) {
          Path source = root.resolve(entry.getLinkName()).normalize();
          if (!source.startsWith(root)) {
            throw new IOException("archive hard link escapes the target directory: " + entry.getLinkName());
          }
          Files.copy(source, target);
        } else if (entry.isFile()) {
          Files.copy(tar, target);
          boolean executable = (entry.getMode() & 0100) != 0 || root.relativize(target).startsWith("bin");
          setMode(target, executable ? EXEC_MODE : FILE_MODE);
        }
      }
    }
  }

  private static void setMode(Path path, Set<PosixFilePermission> mode) throws IOException {
    if (!Processes.isWindows()) {
      Files.setPosixFilePermissions(path, mode);
    }
  }

  private static String shortHash(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
