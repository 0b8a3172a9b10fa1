package dev.ledgerline.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Ports for tests come from below the kernel's ephemeral range, where no server that asks for port 0 and no outgoing
 * connection can take them between their hand-out and their bind.
 */
class FreePortsTest {
  private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  @Test
  void portsComeFromBelowTheEphemeralRange() throws IOException {
    assumeTrue(Files.isReadable(RANGE), "no Linux ephemeral port range to stay below");
    int low;
    try (BufferedReader r = Files.newBufferedReader(RANGE)) {
      low = Integer.parseInt(r.readLine().trim().split("\\s+")[0]);
    }
    assumeTrue(low > 16_000, "the ephemeral range leaves no room below it");
    assertThat(FreePorts.ephemeralLow()).isEqualTo(low);
    for (int i = 0; i < 20; i++) {
      assertThat(FreePorts.next()).isBetween(15_000, low - 1);
    }
  }
}
