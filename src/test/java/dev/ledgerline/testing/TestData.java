package dev.ledgerline.testing;

import dev.ledgerline.infra.EmbeddedBinaries;
import dev.ledgerline.infra.postgres.EmbeddedPostgresServer;
import dev.ledgerline.infra.postgres.PostgresSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** Data directories for tests that start embedded PostgreSQL, Redis or a ledger. */
public final class TestData {
  private static Path template;
  private static final List<Runnable> AT_EXIT = new CopyOnWriteArrayList<>();
  private static final List<Path> ROOTS = new CopyOnWriteArrayList<>();

  private TestData() {}

  /**
   * A fresh directory under the temp dir that the unprivileged server user can pass through: when the tests run as
   * root without user namespaces, PostgreSQL runs as nobody, and JUnit's private temp dirs would be out of its reach.
   * The caller deletes it ({@link #delete}).
   */
  public static Path newRoot(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Like {@link #newRoot}, removed when the test JVM exits (for directories a node may still hold until then). */
  public static Path tempRoot(String prefix) {
    Path dir = newRoot(prefix);
    ROOTS.add(dir);
    return dir;
  }

  /**
   * Runs {@code stop} when the test JVM exits, before the temporary roots are deleted. Shutdown hooks run at once,
   * so a root deleted by its own hook could vanish under a server still stopping in another: {@code pg_ctl stop}
   * then finds no {@code postmaster.pid}, PostgreSQL never hears the stop, and the JVM's exit waits out the stop's
   * 30 s timeout (surefire kills the fork at 30 s).
   */
  public static void atExit(Runnable stop) {
    AT_EXIT.add(stop);
  }

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Runnable stop : AT_EXIT) {
        try {
          stop.run();
        } catch (RuntimeException e) {
          // The next server still stops, and the roots still go.
        }
      }
      ROOTS.forEach(TestData::deleteQuietly);
    }, "test-data-cleanup"));
  }

  public static void delete(Path dir) {
    try {
      EmbeddedBinaries.deleteTree(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes what it can: a file that cannot go must not keep the rest. */
  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // Best effort: the temp dir is the operating system's to clean.
    }
  }

  /**
   * A stopped cluster (with its generated password) copied into {@code dataDir}: initdb costs about a second, much
   * more on a loaded machine, so tests that are not about creating clusters start from a copy of one made once.
   */
  public static synchronized PostgresSettings copiedCluster(Path dataDir) {
    try {
      if (template == null) {
        Path root = tempRoot("ledgerline-pg-template");
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
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The file of a test resource, e.g. {@code resource("/cluster-tls/node.pem")}, as a path string. */
  public static String resource(String name) {
    try {
      return Path.of(java.util.Objects.requireNonNull(TestData.class.getResource(name), name).toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
