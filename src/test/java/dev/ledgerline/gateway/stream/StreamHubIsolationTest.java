package dev.ledgerline.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.users.Role;
import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One subscriber's broken or closing socket never costs another subscriber its frames. */
class StreamHubIsolationTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /** How the first subscriber's socket misbehaves. */
  enum Socket { THROWS_ON_WRITE, WRITE_FAILS, CLOSING, HEALTHY }

  /** A socket that records what it is sent and misbehaves as told. */
  private static ServerWebSocket socket(Socket kind, List<String> sent) {
    return (ServerWebSocket) Proxy.newProxyInstance(ServerWebSocket.class.getClassLoader(),
        new Class<?>[] {ServerWebSocket.class}, (proxy, method, args) -> switch (method.getName()) {
          case "isClosed" -> kind == Socket.CLOSING;
          case "writeQueueFull" -> false;
          case "writeTextMessage" -> {
            if (kind == Socket.THROWS_ON_WRITE) {
              throw new IllegalStateException("WebSocket is closed");
            }
            sent.add((String) args[0]);
            if (kind == Socket.WRITE_FAILS || kind == Socket.CLOSING) {
              yield Future.failedFuture("WebSocket is closed");
            }
            yield Future.succeededFuture();
          }
          case "close" -> Future.succeededFuture();
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> null;
        });
  }

  @Test
  void everyHealthySubscriberGetsEveryFrameWhateverItsNeighbourDoes() {
    UInt128 a = UInt128.of(1);
    UInt128 b = UInt128.of(2);
    Principal p = new Principal("sub", Set.of(Role.USER), null, Instant.now().plusSeconds(600));
    for (Socket kind : Socket.values()) {
      StreamHub hub = new StreamHub(vertx);
      List<String> badSent = new ArrayList<>();
      List<String> goodSent = new ArrayList<>();
      StreamConnection bad = new StreamConnection(vertx, socket(kind, badSent), p, null, null, hub, null, 10,
          new StreamConnection.Caps(100, 1000), () -> Future.succeededFuture((String) null));
      StreamConnection good = new StreamConnection(vertx, socket(Socket.HEALTHY, goodSent), p, null, null, hub, null,
          10, new StreamConnection.Caps(100, 1000), () -> Future.succeededFuture((String) null));
      // The misbehaving one subscribed first, so it is served first.
      hub.subscribe(bad, b);
      hub.subscribe(good, b);
      for (int i = 1; i <= 3; i++) {
        hub.dispatch(new TransfersCommitted(List.of(Transfer.of(UInt128.of(100 + i), a, b, UInt128.of(i), 1, 1, 0)),
            List.of()));
      }
      assertThat(goodSent).as(kind.name()).hasSize(3);
      assertThat(goodSent.get(2)).as(kind.name()).contains("\"103\"");
      if (kind == Socket.CLOSING) {
        assertThat(badSent).as("nothing is written to a closing socket").isEmpty();
      }
    }
  }
}
