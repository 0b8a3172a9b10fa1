package dev.ledgerline.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.LoggerFactory;

/** Switches Logback between plain and JSON lines and applies the (reloadable) root level. */
public final class Logging {
  private Logging() {}

  public static void apply(String format, String level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    if ("json".equals(format)) {
      ctx.reset();
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(ctx);
      try {
        configurator.doConfigure(Logging.class.getResource("/logback-json.xml"));
      } catch (JoranException e) {
        throw new IllegalStateException("cannot configure JSON logging", e);
      }
    }
    setLevel(level);
  }

  public static void setLevel(String level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level, Level.INFO));
  }
}
