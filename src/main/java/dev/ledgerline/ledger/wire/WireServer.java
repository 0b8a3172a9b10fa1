package dev.ledgerline.ledger.wire;

import dev.ledgerline.config.LedgerlineConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP listener of TigerBeetle's client protocol. Create and start it on the ledger verticle's context: every
 * connection's bytes are then handled on that context, the batcher's, with no locking.
 *
 * <p>Backpressure per connection: the frame parser holds at most one message, each client session has at most one
 * request executing ({@link WireProtocol}), and a connection that does not read its replies is paused until its
 * write queue drains.
 */
public final class WireServer {
  private static final Logger LOG = LoggerFactory.getLogger(WireServer.class);
  /**
   * Open connections at most: room for every session of a full client table to reconnect while its old connection
   * is still closing, and a bound on what a flood of idle connections can hold.
   */
  static final int CONNECTIONS_MAX = 4 * WireProtocol.CLIENTS_MAX;

  private final Vertx vertx;
  private final LedgerlineConfig.LedgerWire config;
  private final WireProtocol protocol;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private NetServer server;
  private long frameTimer = -1;

  public WireServer(Vertx vertx, LedgerlineConfig.LedgerWire config, WireProtocol protocol) {
    this.vertx = vertx;
    this.config = config;
    this.protocol = protocol;
  }

  /** Listens; completes with the bound port. */
  public Future<Integer> start() {
    NetServerOptions options = new NetServerOptions().setHost(config.host()).setPort(config.port())
        // A silent peer (a TigerBeetle client pings every 30 s) gives its slot back.
        .setTcpNoDelay(true).setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setReadIdleTimeout((int) Math.min(Integer.MAX_VALUE, config.readIdle().toMillis()));
    LedgerlineConfig.WireTls tls = config.tls();
    if (tls.enabled()) {
      options.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert()).setKeyPath(tls.key()))
          .setTrustOptions(new PemTrustOptions().addCertPath(tls.trust()));
    } else if (!config.loopback()) {
      LOG.warn("ledger.wire listens on {} without TLS (ledger.wire.allow-plaintext): anyone who reaches this port "
          + "can write to the ledger", config.host());
    }
    server = vertx.createNetServer(options).connectHandler(socket -> {
      if (connections.size() >= CONNECTIONS_MAX) {
        LOG.warn("wire connection from {} refused: {} connections open", socket.remoteAddress(), CONNECTIONS_MAX);
        socket.close();
        return;
      }
      new Connection(socket).start();
    });
    // A message that takes longer than this to arrive is a peer holding its slot and its buffer.
    Duration frameDeadline = config.frameDeadline();
    long deadlineNanos = frameDeadline.toNanos();
    frameTimer = vertx.setPeriodic(Math.max(100, frameDeadline.toMillis() / 4), id -> {
      long now = System.nanoTime();
      for (Connection c : connections) {
        if (c.midFrameSince >= 0 && now - c.midFrameSince > deadlineNanos) {
          c.close("a message took over " + frameDeadline.toSeconds() + " s to arrive");
        }
      }
    });
    return server.listen().map(s -> {
      LOG.info("TigerBeetle 0.16.30 wire protocol listening on {}:{} (cluster {}{})", config.host(), s.actualPort(),
          protocol.cluster(), tls.enabled() ? ", mutual TLS" : "");
      return s.actualPort();
    });
  }

  /** Stops listening and closes every connection (sessions stay: a client reconnecting to a restarted listener). */
  public Future<Void> stop() {
    NetServer s = server;
    server = null;
    if (frameTimer >= 0) vertx.cancelTimer(frameTimer);
    for (Connection c : connections) c.socket.close();
    return s == null ? Future.succeededFuture() : s.close();
  }

  /** One client connection. */
  private final class Connection implements WireProtocol.Peer {
    private final NetSocket socket;
    private final FrameParser parser;
    private boolean open = true;
    /** When the message now arriving began to (System.nanoTime), or -1 between messages. */
    private volatile long midFrameSince = -1;

    Connection(NetSocket socket) {
      this.socket = socket;
      this.parser = new FrameParser(protocol.cluster());
    }

    void start() {
      connections.add(this);
      socket.closeHandler(v -> {
        open = false;
        connections.remove(this);
      });
      socket.exceptionHandler(e -> LOG.debug("wire connection {}: {}", socket.remoteAddress(), e.toString()));
      socket.handler(this::received);
    }

    private void received(Buffer data) {
      if (!open) return;
      try {
        parser.feed(data, f -> {
          midFrameSince = -1; // a whole message: the deadline is the next one's
          if (open) protocol.handle(this, f.header(), f.body());
        });
        if (!parser.midFrame()) {
          midFrameSince = -1;
        } else if (midFrameSince < 0) {
          midFrameSince = System.nanoTime();
        }
      } catch (FrameParser.MalformedFrameException e) {
        close(e.getMessage());
      } catch (RuntimeException e) {
        // A bug must cost one connection, never the listener.
        LOG.error("wire connection {}: closed after an unexpected error", socket.remoteAddress(), e);
        close("internal error");
      }
    }

    @Override
    public void send(WireHeader header, byte[] body) {
      if (!open) return;
      socket.write(Buffer.buffer(header.bytes()).appendBytes(body));
      if (socket.writeQueueFull()) {
        socket.pause();
        socket.drainHandler(v -> socket.resume());
      }
    }

    @Override
    public void close(String why) {
      if (!open) return;
      open = false;
      LOG.debug("wire connection {} closed: {}", socket.remoteAddress(), why);
      socket.close();
    }

    @Override
    public boolean isOpen() {
      return open;
    }
  }
}
