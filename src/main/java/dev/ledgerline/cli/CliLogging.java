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

  /** Standard output carries the command's answer only (scripts capture it); log lines go to standard error. */
  public static void toStderr() {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
      for (ch.qos.logback.classic.Logger logger : ctx.getLoggerList()) {
        for (var it = logger.iteratorForAppenders(); it.hasNext();) {
          if (it.next() instanceof ch.qos.logback.core.ConsoleAppender<?> console) {
            console.stop();
            console.setTarget("System.err");
            console.start();
          }
        }
      }
    }
  }
}
