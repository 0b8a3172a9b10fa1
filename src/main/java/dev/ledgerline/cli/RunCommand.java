package dev.ledgerline.cli;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.node.Logging;
import dev.ledgerline.node.Node;
import dev.ledgerline.node.NodeRefusedException;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code ledgerline run}: starts a node and runs it until SIGTERM or SIGINT. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Start a node with the roles its configuration names.")
public final class RunCommand implements java.util.concurrent.Callable<Integer> {
  /** Exit code for a configuration the node refuses. */
  public static final int EXIT_CONFIG = 2;
  public static final int EXIT_START_FAILED = 1;

  @Spec
  CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--log-json", description = "Log one JSON object per line (same as logging.format: json).")
  boolean logJson;

  @Override
  public Integer call() throws InterruptedException {
    ConfigService configService;
    try {
      configService = configOptions.load();
    } catch (ConfigException e) {
      spec.commandLine().getErr().println(e.getMessage());
      spec.commandLine().getErr().flush();
      return EXIT_CONFIG;
    }
    var cfg = configService.current();
    Logging.apply(logJson ? "json" : cfg.logging().format(), cfg.logging().level(), cfg.logging().access());
    configService.onReload(c -> Logging.setLevels(c.logging().level(), c.logging().access()));
    Logger log = LoggerFactory.getLogger(RunCommand.class);

    Node node = new Node(configService);
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable shutdown = () -> node.stop().whenComplete((v, err) -> stopped.countDown());
    // Handle the signals ourselves: a JVM shutdown hook would make SIGTERM exit with 143 instead of 0.
    Signal.handle(new Signal("TERM"), s -> shutdown.run());
    Signal.handle(new Signal("INT"), s -> shutdown.run());
    try {
      node.start().toCompletionStage().toCompletableFuture().join();
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof dev.ledgerline.gateway.auth.AuthConfigException || cause instanceof NodeRefusedException) {
        // Unusable or missing JWT keys, an unsafe combination of keys or a taken listener address are a
        // configuration the node refuses, like a bad key in the file.
        spec.commandLine().getErr().println(cause.getMessage());
        spec.commandLine().getErr().flush();
        return EXIT_CONFIG;
      }
      // Node.start() has already stopped whatever did start.
      log.error("start failed: {}", cause.toString());
      return EXIT_START_FAILED;
    }
    stopped.await();
    return 0;
  }
}
