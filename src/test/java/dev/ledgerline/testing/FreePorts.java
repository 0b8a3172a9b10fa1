package dev.ledgerline.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers that tests start on a fixed port. They come from below the kernel's ephemeral range when there is
 * room there: a port from that range can be taken in the meantime as the local end of an outgoing connection (on
 * loopback even by a member connecting to the very port it was given, before anyone listens), and the server's start
 * then fails with "in use". A port is free when handed out and never handed out twice within this JVM.
 */
public final class FreePorts {
  private static final Set<Integer> HANDED_OUT = new HashSet<>();
  private static final int LOWEST = 15_000;
  private static final int EPHEMERAL_LOW = ephemeralLow();

  private FreePorts() {}

  public static synchronized int next() {
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = EPHEMERAL_LOW - LOWEST > 1000
          ? ThreadLocalRandom.current().nextInt(LOWEST, EPHEMERAL_LOW) : anyFree();
      if (port > 0 && !HANDED_OUT.contains(port) && bindable(port)) {
        HANDED_OUT.add(port);
        return port;
      }
    }
    throw new IllegalStateException("no unused port after 1000 attempts");
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int anyFree() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The first port of Linux's ephemeral range (32768 by default); 0 elsewhere, which means "any free port". */
  static int ephemeralLow() {
    try {
      // Read line by line: Files.readString trusts the size a /proc file reports and returned only "3" of
      // "32768 60999" here, so every port came from the ephemeral range after all (and could collide with a server
      // that picks port 0 itself).
      String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
      return Integer.parseInt(range.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
