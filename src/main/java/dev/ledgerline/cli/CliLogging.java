package dev.ledgerline.cli;

import org.slf4j.LoggerFactory;

/** Keeps CLI output readable: without a logging configuration, show warnings and errors only. */
public final class CliLogging {
  private CliLogging() {}

  public static void quiet() {
    if (System.getProperty("logback.configurationFile") != null) return;
    if (CliLogging.class.getClassLoader().getResource("logback.xml") != null) return;
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }
}
