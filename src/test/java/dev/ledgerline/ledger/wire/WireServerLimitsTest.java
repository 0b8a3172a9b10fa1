package dev.ledgerline.ledger.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The listener gives back the slot of a peer that holds it without speaking: silent for longer than the read-idle
 * time, or sending one message slower than the frame deadline. A client that pings stays connected.
 */
class WireServerLimitsTest {
  private static final Duration IDLE = Duration.ofMillis(1500);
  private static final Duration FRAME = Duration.ofMillis(1000);

  private Vertx vertx;
  private NetClient client;
  private int port;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    var config = NodeExtension.configWith(Map.of("ledger.wire.enabled", "true", "ledger.wire.port", "0",
        "ledger.wire.cluster-id", "7", "ledger.wire.read-idle", IDLE.toMillis() + "ms",
        "ledger.wire.frame-deadline", FRAME.toMillis() + "ms")).current().ledgerWire();
    WireProtocol protocol = new WireProtocol(UInt128.of(7), new WireClientStub.ScriptedLedger(),
        WireHeader.MESSAGE_SIZE_MAX, 4, System::nanoTime);
    WireServer server = new WireServer(vertx, config, protocol);
    // Started on an event loop, as the ledger verticle starts it: connections and the deadline timer run there.
    Promise<Integer> listening = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> server.start().onComplete(listening));
    port = listening.future().await();
    client = vertx.createNetClient();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private NetSocket connect(AtomicBoolean closed, AtomicInteger pongs) {
    NetSocket s = client.connect(port, "127.0.0.1").await();
    s.closeHandler(v -> closed.set(true));
    s.handler(b -> pongs.addAndGet(b.length() / WireHeader.SIZE));
    return s;
  }

  private static Buffer ping(long timestamp) {
    return Buffer.buffer(WireHeader.ping(UInt128.of(7), WireProtocol.RELEASE, UInt128.of(3), timestamp).bytes());
  }

  @Test
  void aSilentPeerAndOneTricklingAMessageAreClosedAndAPingingClientIsNot() {
    AtomicBoolean silentClosed = new AtomicBoolean();
    AtomicBoolean trickleClosed = new AtomicBoolean();
    AtomicBoolean pingerClosed = new AtomicBoolean();
    AtomicInteger pongs = new AtomicInteger();
    connect(silentClosed, new AtomicInteger());
    NetSocket trickle = connect(trickleClosed, new AtomicInteger());
    NetSocket pinger = connect(pingerClosed, pongs);
    // Half a header, then a byte now and then: never silent long enough to be idle, never a whole message.
    Buffer header = ping(1);
    trickle.write(header.getBuffer(0, 128));
    long trickled = vertx.setPeriodic(200, id -> {
      if (!trickleClosed.get()) trickle.write(header.getBuffer(128, 129));
    });
    long pinged = vertx.setPeriodic(300, id -> pinger.write(ping(id)));
    Poll.until(Duration.ofSeconds(10), "the trickling peer is closed after the frame deadline", trickleClosed::get);
    Poll.until(Duration.ofSeconds(10), "the silent peer is closed after the read-idle time", silentClosed::get);
    vertx.cancelTimer(trickled);
    assertThat(Poll.holdsWithin(IDLE.multipliedBy(2), pingerClosed::get)).isFalse();
    vertx.cancelTimer(pinged);
    assertThat(pongs.get()).isPositive();
  }
}
