package dev.ledgerline.node.services;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 * only, in memory only (no RDB, no AOF), with a password generated at every start. The configuration is passed on
 * stdin so the password never shows in the process list. When the node runs as root the server runs as nobody.
 */
public final class EmbeddedRedisServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedisServer.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final int PORT_ATTEMPTS = 3;
  private static final String READY = "Ready to accept connections";

  private final Process process;
  private final int port;
  private final String password;
  private final Thread shutdownHook;
  private boolean stopped;

  private EmbeddedRedisServer(Process process, int port, String password) {
    this.process = process;
    this.port = port;
    this.password = password;
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
    for (int attempt = 1; ; attempt++) {
      int port = settings.port() != 0 ? settings.port() : Processes.freeLoopbackPort();
      if (!Processes.loopbackPortFree(port)) {
        if (settings.port() != 0) {
          throw new PortInUseException("Embedded Redis", port);
        }
        continue;
      }
      try {
        EmbeddedRedisServer server = launch(binary, port);
        LOG.info("Embedded Redis ready at {} ({} ms)", RedisSettings.redact(server.url()),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        return server;
      } catch (PortInUseException e) {
        if (settings.port() != 0 || attempt >= PORT_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private static EmbeddedRedisServer launch(Path binary, int port) {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String password = HexFormat.of().formatHex(random);
    ProcessBuilder builder = new ProcessBuilder(RunAs.forRedis().wrap(List.of(binary.toString(), "-"), "TERM"))
        .directory(binary.getParent().toFile())
        .redirectErrorStream(true);
    Process process;
    try {
      process = Processes.spawn(builder);
    } catch (IOException e) {
      throw new DataServiceException("Cannot start embedded redis-server: " + e.getMessage(), e);
    }
    EmbeddedRedisServer server = new EmbeddedRedisServer(process, port, password);
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
          + "appendonly no\n"
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
      server.stopQuietly();
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
      server.stopQuietly();
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

  /** SIGTERM, then SIGKILL if it lingers. Idempotent; blocking. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
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
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException | IllegalArgumentException e) {
        // Already shutting down.
      }
    }
    LOG.info("Embedded Redis on port {} stopped", port);
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
