package dev.ledgerline.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A data directory that embedded servers can use (see {@link TestData#newRoot}), made before and deleted after each
 * test, or the whole class when registered on a static field:
 * {@code @RegisterExtension final DataRoot root = new DataRoot("ledgerline-pg-test");}.
 */
public final class DataRoot implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private final String prefix;
  private boolean classScoped;
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
  public void beforeAll(ExtensionContext context) {
    classScoped = true;
    path = TestData.newRoot(prefix);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!classScoped) {
      path = TestData.newRoot(prefix);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!classScoped) {
      deletePath();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    deletePath();
  }

  private void deletePath() {
    if (path != null) {
      TestData.delete(path);
      path = null;
    }
  }
}
