package dev.ledgerline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** {@code ledgerline provider-sandbox}: refuses a taken port and an unusable secret configuration with exit codes. */
class ProviderSandboxCommandTest {
  @Test
  void aTakenPortIsAStartFailure() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      StringWriter err = new StringWriter();
      int code = Ledgerline.commandLine().setErr(new PrintWriter(err))
          .execute("provider-sandbox", "--port", String.valueOf(taken.getLocalPort()));
      assertThat(code).isEqualTo(RunCommand.EXIT_START_FAILED);
      assertThat(err.toString()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  @Test
  void twoSecretSourcesAreAConfigurationError() {
    StringWriter err = new StringWriter();
    int code = Ledgerline.commandLine().setErr(new PrintWriter(err)).execute("provider-sandbox", "--port", "0",
        "--set", "providers.plaid.secret=inline-value", "--set", "providers.plaid.secret-file=/nonexistent");
    assertThat(code).isEqualTo(RunCommand.EXIT_CONFIG);
    assertThat(err.toString()).contains("not both").doesNotContain("inline-value");
  }
}
