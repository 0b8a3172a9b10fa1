package dev.ledgerline.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The connection cap of {@link HttpEdge} on a bare server, with time limits far away so only the cap acts. */
class HttpEdgeTest {
  private static final int CAP = 3;
  private static Vertx vertx;
  private static int port;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    port = FreePorts.next();
    HttpEdge edge = new HttpEdge(vertx, new HttpEdge.Settings(Duration.ofMinutes(5), Duration.ofMinutes(5),
        Duration.ofMinutes(5), CAP), new HttpEdge.AddressCounts());
    edge.install(vertx.createHttpServer(edge.apply(new HttpServerOptions().setHost("127.0.0.1").setPort(port))),
        req -> req.response().end("ok"), req -> null).listen().await();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  private static boolean closedWithin(Socket s, int millis) throws Exception {
    s.setSoTimeout(millis);
    try {
      return s.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  @Test
  void connectionsAboveThePerAddressCapAreClosedAndTheOthersKept() throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < CAP; i++) {
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        held.add(s);
      }
      try (Socket over = new Socket("127.0.0.1", port)) {
        assertThat(closedWithin(over, 15_000)).as("a connection above the cap is closed").isTrue();
      }
      for (Socket s : held) {
        // The time limits are minutes away: only the cap could have closed these, and it must not have.
        assertThat(closedWithin(s, 50)).as("connections within the cap stay open").isFalse();
      }
      held.get(0).close();
      // A place is free again once a connection has gone; its close is seen by the server asynchronously.
      boolean served = false;
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (!served && System.nanoTime() < deadline) {
        try (Socket again = new Socket("127.0.0.1", port)) {
          again.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          again.setSoTimeout(15_000);
          served = new String(again.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)
              .startsWith("HTTP/1.1 200");
        }
      }
      assertThat(served).as("a freed place is given to a new connection").isTrue();
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }
}
