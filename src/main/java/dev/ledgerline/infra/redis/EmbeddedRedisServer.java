package dev.ledgerline.infra.redis;

import dev.ledgerline.infra.DataDirectoryException;
import dev.ledgerline.infra.DataServiceException;
import dev.ledgerline.infra.EmbeddedBinaries;
import dev.ledgerline.infra.PortInUseException;
import dev.ledgerline.infra.Processes;
import dev.ledgerline.infra.RunAs;
import dev.ledgerline.infra.ServiceMode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A redis-server (the binary bundled with {@code com.github.codemonstur:embedded-redis}) run by the node: 127.0.0.1
 * only, with a password generated at every start. With a data directory it keeps an append-only file there
 * ({@code appendonly yes}, {@code appendfsync everysec}, no RDB snapshots), so rate-limit buckets and revocations
 * survive a restart, losing at most the last second of writes to a crash; the directory is locked while the server
 * runs, since two servers appending to one file would corrupt it. Without one it is in memory only. The configuration
 * is passed on stdin so the password never shows in the process list. When the node runs as root the server runs as
 * nobody.
 */
public final class EmbeddedRedisServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedisServer.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final int PORT_ATTEMPTS = 3;
  private static final String READY = "Ready to accept connections";
  private static final String LOCK_FILE = "ledgerline.lock";

  private final Process process;
  private final int port;
  private final String password;
  private final Thread shutdownHook;
  private final FileChannel lockChannel;
  private boolean stopped;

  private EmbeddedRedisServer(Process process, int port, String password, FileChannel lockChannel) {
    this.process = process;
    this.port = port;
    this.password = password;
    this.lockChannel = lockChannel;
    this.shutdownHook = new Thread(this::stopQuietly, "ledgerline-redis-shutdown");
  }

  /** Starts redis-server and returns once it accepts connections. Blocking: call it off the event loop. */
  public static EmbeddedRedisServer start(RedisSettings settings) {
    if (settings.mode() != ServiceMode.EMBEDDED) {
      throw new IllegalArgumentException("not an embedded Redis configuration: " + settings);
    }
    long began = System.nanoTime();
    Path binary;
    try {
      binary = EmbeddedBinaries.redis();
    } catch (IOException e) {
      throw new DataServiceException("Cannot unpack the embedded redis-server: " + e.getMessage(), e);
    }
    Path dataDir = settings.dataDir() == null ? null : settings.dataDir().toAbsolutePath().normalize();
    FileChannel lock = dataDir == null ? null : lockDataDir(dataDir);
    try {
      return startLocked(settings, binary, dataDir, lock, began);
    } catch (RuntimeException e) {
      closeQuietly(lock);
      throw e;
    }
  }

  private static EmbeddedRedisServer startLocked(RedisSettings settings, Path binary, Path dataDir, FileChannel lock,
      long began) {
    EmbeddedRedisServer server = Processes.onLoopbackPort("Embedded Redis", settings.port(), PORT_ATTEMPTS,
        port -> launch(binary, port, dataDir, lock));
    LOG.info("Embedded Redis ready at {} ({}, {} ms)", RedisSettings.redact(server.url()),
        dataDir == null ? "in memory" : "append-only file in " + dataDir,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    return server;
  }

  /** Creates and locks the data directory, owned by the user the server runs as. */
  private static FileChannel lockDataDir(Path dataDir) {
    FileChannel channel = null;
    FileLock lock;
    try {
      Files.createDirectories(dataDir);
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
      RunAs.forRedis(true).adopt(dataDir);
      channel = FileChannel.open(dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException | UnsupportedOperationException e) {
      closeQuietly(channel);
      throw new DataDirectoryException("Cannot prepare the Redis data directory " + dataDir + ": " + e, e);
    }
    if (lock == null) {
      closeQuietly(channel);
      throw new DataDirectoryException("Redis data directory " + dataDir + " is in use by another running node (it "
          + "holds " + dataDir.resolve(LOCK_FILE) + "). Give each node its own redis.data-dir.");
    }
    return channel;
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("closing {}", channel, e);
      }
    }
  }

  /** A value for redis.conf: quoted, since a path may hold spaces. */
  private static String quoted(Path path) {
    String p = path.toString();
    if (p.indexOf('\n') >= 0 || p.indexOf('\r') >= 0 || p.indexOf('"') >= 0 || p.indexOf('\\') >= 0) {
      throw new DataDirectoryException("Redis data directory " + p + " contains a quote, backslash or line break, "
          + "which redis.conf cannot carry");
    }
    return "\"" + p + "\"";
  }

  private static EmbeddedRedisServer launch(Path binary, int port, Path dataDir, FileChannel lock) {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String password = HexFormat.of().formatHex(random);
    ProcessBuilder builder = new ProcessBuilder(RunAs.forRedis(dataDir != null)
        .wrap(List.of(binary.toString(), "-"), "TERM"))
        .directory(binary.getParent().toFile())
        .redirectErrorStream(true);
    Process process;
    try {
      process = Processes.spawn(builder);
    } catch (IOException e) {
      throw new DataServiceException("Cannot start embedded redis-server: " + e.getMessage(), e);
    }
    EmbeddedRedisServer server = new EmbeddedRedisServer(process, port, password, lock);
    Runtime.getRuntime().addShutdownHook(server.shutdownHook);
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Deque<String> recent = new ArrayDeque<>();
    Thread reader = new Thread(() -> pump(process, ready, recent), "ledgerline-redis-output-" + port);
    reader.setDaemon(true);
    reader.start();
    try (OutputStream stdin = process.getOutputStream()) {
      String config = "port " + port + "\n"
          + "bind 127.0.0.1\n"
          + "protected-mode yes\n"
          + "requirepass " + password + "\n"
          + "save \"\"\n"
          + (dataDir == null ? "appendonly no\n" : "dir " + quoted(dataDir) + "\n"
              + "appendonly yes\n"
              + "appendfilename \"appendonly.aof\"\n"
              + "appendfsync everysec\n")
          + "daemonize no\n"
          + "logfile \"\"\n";
      stdin.write(config.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // The process died before reading its configuration; the reader reports why.
      LOG.debug("Writing redis-server configuration", e);
    }
    try {
      ready.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return server;
    } catch (ExecutionException | TimeoutException e) {
      server.stopProcess();
      String output;
      synchronized (recent) {
        output = String.join("\n", recent);
      }
      if (output.contains("Address already in use")) {
        throw new PortInUseException("Embedded Redis", port);
      }
      throw new DataServiceException("Embedded redis-server did not start"
          + (e instanceof TimeoutException ? " within " + START_TIMEOUT.toSeconds() + " s" : "") + ":\n" + output, e);
    } catch (InterruptedException e) {
      server.stopProcess();
      Thread.currentThread().interrupt();
      throw new DataServiceException("Interrupted while starting embedded redis-server", e);
    }
  }

  /** Forwards the server's output to the log (so its pipe never fills) and signals readiness. */
  private static void pump(Process process, CompletableFuture<Void> ready, Deque<String> recent) {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        LOG.debug("redis-server: {}", line);
        if (!ready.isDone()) {
          synchronized (recent) {
            recent.addLast(line);
            if (recent.size() > 30) {
              recent.removeFirst();
            }
          }
          if (line.contains(READY)) {
            ready.complete(null);
          }
        }
      }
    } catch (IOException e) {
      // The stream closes when the server is stopped.
      LOG.trace("redis-server output", e);
    } finally {
      ready.completeExceptionally(new IOException("redis-server exited"));
    }
  }

  /** {@code redis://:password@127.0.0.1:port}: the password is part of it, so log it redacted. */
  public String url() {
    return "redis://:" + password + "@127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isRunning() {
    return process.isAlive();
  }

  /** SIGTERM, then SIGKILL if it lingers, then releases the data directory. Idempotent; blocking. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      stopProcess();
    } finally {
      closeQuietly(lockChannel);
    }
    LOG.info("Embedded Redis on port {} stopped", port);
  }

  /** Ends the process only: a failed launch keeps the data directory locked for the next attempt. */
  private void stopProcess() {
    try {
      process.destroy();
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      Processes.removeShutdownHook(shutdownHook);
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      LOG.warn("Stopping embedded Redis failed", e);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedRedisServer[127.0.0.1:" + port + "]";
  }
}
