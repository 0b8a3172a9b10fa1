package dev.ledgerline.testing;

import java.nio.file.Path;

/**
 * A data directory that embedded servers can use (see {@link TestData#newRoot}), made before and deleted after each
 * test, or the whole class when registered on a static field:
 * {@code @RegisterExtension final DataRoot root = new DataRoot("ledgerline-pg-test");}.
 */
public final class DataRoot extends Scoped {
  private final String prefix;
  private Path path;

  public DataRoot(String prefix) {
    this.prefix = prefix;
  }

  public Path path() {
    if (path == null) {
      throw new IllegalStateException("the data root exists only while a test runs");
    }
    return path;
  }

  public Path resolve(String name) {
    return path().resolve(name);
  }

  @Override
  protected void open() {
    path = TestData.newRoot(prefix);
  }

  @Override
  protected void close() {
    if (path != null) {
      TestData.delete(path);
      path = null;
    }
  }
}
