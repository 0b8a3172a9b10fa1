package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.DataDirectoryException;
import dev.ledgerline.infra.DataServiceException;
import dev.ledgerline.infra.EmbeddedBinaries;
import dev.ledgerline.infra.Processes;
import dev.ledgerline.infra.RunAs;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded server's data directory, held under {@code ledgerline.lock} while a node uses it so two nodes never
 * share it: the generated superuser {@code password}, the server's {@code postgres.log} and the cluster in
 * {@code pgdata/}, which initdb creates on first use.
 */
final class PostgresDataDirectory {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresDataDirectory.class);

  private final Path dir;
  private final Path pgData;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private PostgresDataDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.pgData = dir.resolve("pgdata");
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Creates the directory if needed and takes its lock; refused while another node holds it. */
  static PostgresDataDirectory lock(Path configured) {
    Path dataDir = prepare(configured.toAbsolutePath().normalize());
    FileChannel channel = null;
    FileLock lock;
    try {
      channel = FileChannel.open(dataDir.resolve("ledgerline.lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new DataDirectoryException("Cannot create the lock file in " + dataDir + ": " + e.getMessage(), e);
    }
    if (lock == null) {
      closeQuietly(channel);
      throw new DataDirectoryException("PostgreSQL data directory " + dataDir + " is in use by another running node "
          + "(it holds " + dataDir.resolve("ledgerline.lock") + "). Give each node its own data directory.");
    }
    return new PostgresDataDirectory(dataDir, channel, lock);
  }

  /**
   * The server a running node has on this directory, for tools that work beside it: its port from
   * {@code pgdata/postmaster.pid} (line 4) and the generated password. Empty when no node holds the directory.
   */
  static java.util.Optional<PostgresUrl> running(Path configured, PostgresSettings settings) {
    Path dataDir = configured.toAbsolutePath().normalize();
    Path pid = dataDir.resolve("pgdata").resolve("postmaster.pid");
    if (!Files.isRegularFile(pid)) {
      return java.util.Optional.empty();
    }
    try (FileChannel channel = FileChannel.open(dataDir.resolve("ledgerline.lock"), StandardOpenOption.WRITE)) {
      FileLock free = channel.tryLock();
      if (free != null) {
        free.release(); // nobody holds it: no node runs here
        return java.util.Optional.empty();
      }
    } catch (OverlappingFileLockException e) {
      // This JVM holds it: a node in this process.
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
    try {
      java.util.List<String> lines = Files.readAllLines(pid, StandardCharsets.UTF_8);
      int port = Integer.parseInt(lines.get(3).trim());
      String password = settings.password() != null ? settings.password()
          : Files.readString(dataDir.resolve("password"), StandardCharsets.UTF_8).trim();
      return java.util.Optional.of(new PostgresUrl("127.0.0.1", port, settings.database(), settings.user(), password));
    } catch (IOException | RuntimeException e) {
      throw new DataServiceException("A node holds " + dataDir + " but its PostgreSQL port or password cannot be "
          + "read: " + e, e);
    }
  }

  private static Path prepare(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (FileSystemException e) {
      throw new DataDirectoryException("Cannot create the PostgreSQL data directory " + dir + ": "
          + (e instanceof AccessDeniedException ? "permission denied" : e.getMessage()), e);
    } catch (IOException e) {
      throw new DataDirectoryException("Cannot create the PostgreSQL data directory " + dir + ": " + e, e);
    }
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new DataDirectoryException("PostgreSQL data directory " + dir + " is not a writable directory");
    }
    return dir;
  }

  Path path() {
    return dir;
  }

  /** The PostgreSQL cluster. */
  Path pgData() {
    return pgData;
  }

  Path log() {
    return dir.resolve("postgres.log");
  }

  boolean hasCluster() {
    return Files.exists(pgData.resolve("PG_VERSION"));
  }

  /** Lets go of the lock; the files stay for the next start. */
  void release() {
    try {
      lock.release();
    } catch (IOException e) {
      LOG.debug("Releasing the data directory lock", e);
    }
    closeQuietly(lockChannel);
  }

  /** The configured password, else the one generated on first use and kept in {@code password} (0600). */
  String password(PostgresSettings settings) {
    if (settings.password() != null) {
      return settings.password();
    }
    Path file = dir.resolve("password");
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      if (hasCluster()) {
        throw new DataServiceException("PostgreSQL data directory " + dir + " holds a cluster but no password "
            + "file and no password is configured; configure the password it was created with.");
      }
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String generated = HexFormat.of().formatHex(random);
      Files.writeString(file, generated + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      restrict(file);
      return generated;
    } catch (IOException e) {
      throw new DataDirectoryException("Cannot read or write the password file " + file + ": " + e, e);
    }
  }

  /** Creates the cluster with initdb, owned by {@code user} with {@code password}, listening on loopback only. */
  void initCluster(Path binDir, RunAs runAs, String user, String password) {
    // initdb writes into a side directory that is renamed into place when complete: a crash mid-way leaves
    // nothing that looks like a cluster.
    Path staging = dir.resolve("pgdata.init");
    Path pwFile = dir.resolve("initdb.pw");
    long began = System.nanoTime();
    try {
      EmbeddedBinaries.deleteTree(staging);
      Files.createDirectory(staging);
      Files.writeString(pwFile, password + "\n", StandardCharsets.UTF_8);
      restrict(pwFile);
      runAs.adopt(staging);
      runAs.adopt(pwFile);
      List<String> initdb = List.of(binDir.resolve("initdb").toString(), "-D", staging.toString(),
          "-U", user, "--pwfile=" + pwFile, "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale");
      Processes.Result result = Processes.run(runAs.wrap(initdb, null), Map.of("TZ", "UTC", "LC_ALL", "C"),
          EmbeddedPostgresServer.COMMAND_TIMEOUT);
      if (result.exitCode() != 0) {
        throw new DataServiceException("initdb failed for " + staging + " (exit " + result.exitCode() + "):\n"
            + EmbeddedPostgresServer.tail(result.output()));
      }
      // Defaults for anyone starting this cluster by hand; the node passes the same settings on the command line.
      Files.writeString(staging.resolve("postgresql.conf"), "\n# Ledgerline embedded defaults\n"
              + "listen_addresses = '" + EmbeddedPostgresServer.LOOPBACK + "'\n"
              + "unix_socket_directories = ''\n"
              + "timezone = 'UTC'\n",
          StandardCharsets.UTF_8, StandardOpenOption.APPEND);
      Files.move(staging, pgData);
      LOG.info("Created PostgreSQL cluster in {} ({} ms)", pgData,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    } catch (IOException e) {
      throw new DataDirectoryException("Cannot create the PostgreSQL cluster in " + pgData + ": " + e, e);
    } finally {
      try {
        Files.deleteIfExists(pwFile);
      } catch (IOException e) {
        LOG.warn("Cannot delete {}", pwFile, e);
      }
    }
  }

  /** Lets the unprivileged server user pass through the directory, and refuses one it still cannot reach. */
  void makeReachableBy(RunAs runAs) {
    Processes.Result probe;
    try {
      // nobody must pass through the data directory (not list it) to reach pgdata/.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
      probe = Processes.run(runAs.wrap(List.of("sh", "-c", "cd \"$1\"", "sh", dir.toString()), null),
          Duration.ofSeconds(10));
    } catch (IOException e) {
      throw new DataDirectoryException("Cannot prepare " + dir + " for the unprivileged server user: " + e, e);
    }
    if (probe.exitCode() != 0) {
      throw new DataDirectoryException("The node runs as root, so PostgreSQL runs as the unprivileged user nobody, "
          + "which cannot reach " + dir + " (a parent directory lacks o+x). Choose a data directory outside "
          + "private home directories (e.g. under /var/lib) or run the node as a regular user.");
    }
  }

  static void restrict(Path file) throws IOException {
    if (!Processes.isWindows()) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("Closing lock file", e);
      }
    }
  }
}
