package dev.ledgerline.cli;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.node.Logging;
import dev.ledgerline.providers.ProviderConfigException;
import dev.ledgerline.providers.Providers;
import dev.ledgerline.providers.sandbox.PlaidSandbox;
import dev.ledgerline.providers.sandbox.SandboxSettings;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code ledgerline provider-sandbox}: the Plaid-compatible sandbox on its own, for development against something
 * that behaves like Plaid and for fault drills ({@code POST /sandbox/faults}). Credentials come from
 * {@code providers.plaid.client-id} and {@code secret}/{@code secret-file} (configuration or environment, never the
 * command line), else the sandbox's development ones.
 */
@Command(name = "provider-sandbox", mixinStandardHelpOptions = true,
    description = "Run the Plaid-compatible sandbox (fault injection at /sandbox/faults, call counts at /sandbox/stats).")
public final class ProviderSandboxCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--port", defaultValue = "7070", description = "Port to listen on; 0 = any (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--settle-after", paramLabel = "MILLIS",
      description = "Milliseconds until a created transfer settles (default: providers.sandbox.settle-after).")
  Long settleAfterMillis;

  @Option(names = "--webhook-url", paramLabel = "URL",
      description = "Where signed TRANSFER_EVENTS_UPDATE webhooks go (default: providers.sandbox.webhook-url).")
  String webhookUrl;

  @Override
  public Integer call() throws Exception {
    LedgerlineConfig.Providers p;
    String secret;
    try {
      LedgerlineConfig config = configOptions.load().current();
      Logging.apply(config.logging().format(), config.logging().level(), config.logging().access());
      p = config.providers();
      secret = Providers.secret(p);
    } catch (ConfigException | ProviderConfigException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return RunCommand.EXIT_CONFIG;
    }
    SandboxSettings settings = new SandboxSettings(host, port,
        p.plaidClientId().isEmpty() ? SandboxSettings.DEVELOPMENT_CLIENT_ID : p.plaidClientId(),
        secret.isEmpty() ? SandboxSettings.DEVELOPMENT_SECRET : secret,
        settleAfterMillis == null ? p.sandboxSettleAfter() : Duration.ofMillis(settleAfterMillis),
        webhookUrl == null ? p.sandboxWebhookUrl() : webhookUrl);
    Vertx vertx = Vertx.vertx();
    PlaidSandbox sandbox;
    try {
      sandbox = PlaidSandbox.start(vertx, settings).await();
    } catch (Exception e) { // await() rethrows the bind failure as it came (a checked BindException)
      spec.commandLine().getErr().println("the sandbox cannot listen on " + host + ":" + port + ": " + e.getMessage());
      vertx.close().await();
      return RunCommand.EXIT_START_FAILED;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    // Runs on the signal's thread, never an event loop, so it may wait; Vert.x is closed last.
    Runnable stop = () -> {
      if (!stopping.compareAndSet(false, true)) {
        return;
      }
      try {
        sandbox.close().await();
        vertx.close().await();
      } finally {
        stopped.countDown();
      }
    };
    Signal.handle(new Signal("TERM"), s -> stop.run());
    Signal.handle(new Signal("INT"), s -> stop.run());
    // Announced only once a signal can stop it: a script that waits for this line may kill it at once.
    spec.commandLine().getOut().println("Plaid-compatible sandbox at " + sandbox.baseUrl() + " (client_id "
        + settings.clientId() + (secret.isEmpty() ? ", the development secret" : "") + ")");
    spec.commandLine().getOut().flush();
    stopped.await();
    return 0;
  }
}
