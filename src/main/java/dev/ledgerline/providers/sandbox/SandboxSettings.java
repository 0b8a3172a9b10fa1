package dev.ledgerline.providers.sandbox;

import java.time.Duration;

/**
 * How a sandbox runs: where it listens, the credentials it accepts, how long a transfer takes to settle and where it
 * sends its webhooks ({@code webhookUrl} empty = nowhere).
 */
public record SandboxSettings(String host, int port, String clientId, String secret, Duration settleAfter,
    String webhookUrl) {
  /** The development credentials of a sandbox nobody configured: it listens on loopback only, so they guard nothing. */
  public static final String DEVELOPMENT_CLIENT_ID = "ledgerline-sandbox";
  public static final String DEVELOPMENT_SECRET = "ledgerline-sandbox-secret";

  @Override
  public String toString() {
    return "SandboxSettings[host=" + host + ", port=" + port + ", clientId=" + clientId + ", settleAfter="
        + settleAfter + ", webhookUrl=" + webhookUrl + "]";
  }
}
