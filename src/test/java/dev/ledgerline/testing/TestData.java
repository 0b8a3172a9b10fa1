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
import java.util.stream.Stream;

/** Data directories for tests that start embedded PostgreSQL, Redis or a ledger. */
public final class TestData {
  private static Path template;

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
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
    return dir;
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
