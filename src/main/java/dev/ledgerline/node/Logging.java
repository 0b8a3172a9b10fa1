package dev.ledgerline.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import dev.ledgerline.gateway.http.RequestIds;
import org.slf4j.LoggerFactory;

/** Switches Logback between plain and JSON lines and applies the (reloadable) root level and access log switch. */
public final class Logging {
  private Logging() {}

  /** The logger of the per-request access lines. */
  public static final String ACCESS_LOGGER = RequestIds.ACCESS_LOGGER;

  public static void apply(String format, String level, boolean access) {
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
    setLevels(level, access);
  }

  /** The root level; access lines follow it when on and are off otherwise. */
  public static void setLevels(String level, boolean access) {
    setLevel(level);
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(ACCESS_LOGGER).setLevel(access ? null : Level.OFF);
  }

  public static void setLevel(String level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level, Level.INFO));
  }
}
