package dev.ledgerline.infra;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Small helpers around child processes and loopback ports, shared by the embedded servers. */
public final class Processes {

  // Long-running children are forked from this one thread, which lives as long as the JVM: a parent-death signal
  // (setpriv --pdeathsig) fires when the *thread* that forked the child ends, so a pool thread that may retire
  // would stop the server by accident.
  private static final ExecutorService LAUNCHER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "ledgerline-process-launcher");
    t.setDaemon(true);
    return t;
  });

  private Processes() {
  }

  public record Result(int exitCode, String output) {
  }

  /** Starts a long-running child process from the launcher thread. */
  public static Process spawn(ProcessBuilder builder) throws IOException {
    try {
      return LAUNCHER.submit(builder::start).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("could not start " + builder.command().get(0), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + builder.command().get(0), e);
    }
  }

  /** Runs a short command to completion and returns its exit code and combined output. */
  public static Result run(List<String> command, Map<String, String> environment, Duration timeout) throws IOException {
    // Output goes to a file, not a pipe: a child that leaves a grandchild holding the pipe cannot block us.
    Path output = Files.createTempFile("ledgerline-cmd", ".log");
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
      builder.environment().putAll(environment);
      Process process = builder.start();
      process.getOutputStream().close();
      boolean finished;
      try {
        finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running " + command.get(0), e);
      }
      if (!finished) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
      }
      return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8).trim());
    } finally {
      Files.deleteIfExists(output);
    }
  }

  public static Result run(List<String> command, Duration timeout) throws IOException {
    return run(command, Map.of(), timeout);
  }

  /** Sends a signal ("INT", "STOP", ...) to a process; Java itself can only send TERM and KILL. */
  public static boolean signal(String signal, long pid) {
    try {
      return run(List.of("sh", "-c", "kill -" + signal + " " + pid), Duration.ofSeconds(10)).exitCode() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** True when an executable of that name is on the PATH. */
  public static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  public static boolean isLinux() {
    return System.getProperty("os.name", "").toLowerCase().startsWith("linux");
  }

  public static boolean isWindows() {
    return System.getProperty("os.name", "").toLowerCase().startsWith("windows");
  }

  /** The effective user id of this JVM, or -1 where there is none (Windows). */
  public static long currentUid() {
    return isWindows() ? -1 : new com.sun.security.auth.module.UnixSystem().getUid();
  }

  public static long currentGid() {
    return isWindows() ? -1 : new com.sun.security.auth.module.UnixSystem().getGid();
  }

  public static boolean isRoot() {
    return currentUid() == 0;
  }

  /** A port that is free on 127.0.0.1 right now (another process may still take it before we bind it). */
  public static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  /**
   * Launches a server on {@code configured} port, or on a free loopback port when it is 0. A free port can be taken by
   * another process between the probe and the server's bind: {@code launch} then throws {@link PortInUseException}
   * and another port is tried, {@code attempts} times in all. A configured port that is in use fails at once.
   */
  public static <T> T onLoopbackPort(String service, int configured, int attempts, IntFunction<T> launch) {
    for (int attempt = 1; ; attempt++) {
      int port = configured != 0 ? configured : freeLoopbackPort();
      if (!loopbackPortFree(port)) {
        if (configured != 0) {
          throw new PortInUseException(service, port);
        }
        continue;
      }
      try {
        return launch.apply(port);
      } catch (PortInUseException e) {
        if (configured != 0 || attempt >= attempts) {
          throw e;
        }
      }
    }
  }

  /** Unregisters a server's stop-on-exit hook; quiet when the JVM is already exiting or the hook was never added. */
  public static void removeShutdownHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // Already shutting down, or never registered.
    }
  }

  /** True when nothing listens on 127.0.0.1:port (or on the wildcard address with that port). */
  public static boolean loopbackPortFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      // No SO_REUSEADDR: a port held by a listener must count as taken.
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
