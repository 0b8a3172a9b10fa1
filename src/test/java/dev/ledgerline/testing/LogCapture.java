package dev.ledgerline.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * The lines one logger (and those below it) writes during each test:
 * {@code @RegisterExtension final LogCapture logs = LogCapture.of(KeyRing.class);}. Attached before each test, detached
 * after it, so a test sees only its own lines.
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(Logger logger) {
    this.logger = logger;
  }

  public static LogCapture of(Class<?> type) {
    return new LogCapture((Logger) LoggerFactory.getLogger(type));
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    clear();
    appender.start();
    logger.addAppender(appender);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    logger.detachAppender(appender);
    appender.stop();
  }

  /**
   * The lines so far, oldest first. A copy taken under the appender's lock, which Logback holds while it appends from
   * whatever thread logged.
   */
  public List<ILoggingEvent> events() {
    synchronized (appender) {
      return List.copyOf(appender.list);
    }
  }

  public List<Level> levels() {
    return events().stream().map(ILoggingEvent::getLevel).toList();
  }

  public void clear() {
    synchronized (appender) {
      appender.list.clear();
    }
  }
}
