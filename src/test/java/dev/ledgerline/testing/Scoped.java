package dev.ledgerline.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An extension whose resource lives for the class when it is registered on a static field and for each test when it
 * is registered on an instance field: JUnit calls the class callbacks only for static registrations.
 */
public abstract class Scoped implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private boolean classScoped;

  /** Makes the resource, before the class or before each test. */
  protected abstract void open();

  /** Releases it, after the class or after each test; also after an {@link #open} that failed half-way. */
  protected abstract void close();

  @Override
  public final void beforeAll(ExtensionContext context) {
    classScoped = true;
    open();
  }

  @Override
  public final void beforeEach(ExtensionContext context) {
    if (!classScoped) {
      open();
    }
  }

  @Override
  public final void afterEach(ExtensionContext context) {
    if (!classScoped) {
      close();
    }
  }

  @Override
  public final void afterAll(ExtensionContext context) {
    close();
  }
}
