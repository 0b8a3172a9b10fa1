package dev.ledgerline.infra;

import dev.ledgerline.infra.postgres.EmbeddedPostgresServer;
import dev.ledgerline.infra.postgres.PostgresSettings;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Shared helpers for the data-service tests. */
public final class TestSupport {

  private TestSupport() {
  }

  /**
   * A fresh directory under the temp dir that the unprivileged server user can pass through: when the tests run as
   * root without user namespaces, PostgreSQL runs as nobody, and JUnit's private temp dirs would be out of its reach.
   */
  public static Path newDataRoot(String prefix) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    return dir;
  }

  private static Path template;

  /**
   * A stopped cluster (with its generated password) copied into {@code dataDir}: initdb costs about a second, much
   * more on a loaded machine, so tests that are not about creating clusters start from a copy of one made once.
   */
  public static synchronized PostgresSettings copiedCluster(Path dataDir) throws IOException {
    if (template == null) {
      Path root = newDataRoot("ledgerline-pg-template");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          delete(root);
        } catch (IOException e) {
          // Best effort.
        }
      }));
      EmbeddedPostgresServer.start(PostgresSettings.embedded(root.resolve("pg"))).stop();
      template = root.resolve("pg");
    }
    try (Stream<Path> paths = Files.walk(template)) {
      for (Path source : (Iterable<Path>) paths::iterator) {
        Path target = dataDir.resolve(template.relativize(source).toString());
        if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(target);
          Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(source));
        } else if (!source.getFileName().toString().equals("ledgerline.lock")) {
          Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        }
      }
    }
    return PostgresSettings.embedded(dataDir);
  }

  public static void delete(Path dir) throws IOException {
    EmbeddedBinaries.deleteTree(dir);
  }

  /** Waits for a Vert.x future from a test thread; failures are rethrown as their cause. */
  public static <T> T await(Future<T> future) throws Throwable {
    try {
      return future.toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  /** The failure of a future that is expected to fail. */
  public static Throwable failureOf(Future<?> future) throws Exception {
    try {
      future.toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected the future to fail, it succeeded");
  }

  /** Polls a condition until it holds or the deadline passes. */
  public static boolean eventually(long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return condition.getAsBoolean();
  }
}
