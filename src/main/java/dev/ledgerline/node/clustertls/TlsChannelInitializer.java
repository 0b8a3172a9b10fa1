package dev.ledgerline.node.clustertls;

import com.hazelcast.internal.networking.Channel;
import com.hazelcast.internal.networking.ChannelInitializer;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * Puts TLS under Hazelcast's own channel set-up: the TLS handlers sit next to the socket on both pipelines and
 * Hazelcast's protocol handlers run on the plain side, unchanged. Both ends must present a certificate the
 * cluster's trust store accepts, so a member without one never gets past the handshake.
 */
final class TlsChannelInitializer implements ChannelInitializer {
  /** As Vert.x's default for the event bus: a peer that has not finished its handshake by then is disconnected. */
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  /** The cipher suite of an engine's session until a handshake has completed. */
  private static final String NO_SESSION = "SSL_NULL_WITH_NULL_NULL";

  private final ChannelInitializer plain;
  private final SSLContext context;
  private final ScheduledExecutorService timer;

  TlsChannelInitializer(ChannelInitializer plain, SSLContext context, ScheduledExecutorService timer) {
    this.plain = plain;
    this.context = context;
    this.timer = timer;
  }

  @Override
  public void initChannel(Channel channel) throws Exception {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(channel.isClientMode());
    engine.setNeedClientAuth(true);
    engine.setEnabledProtocols(ClusterTls.PROTOCOLS);
    engine.beginHandshake();
    channel.inboundPipeline().addLast(new TlsInboundHandler(engine));
    plain.initChannel(channel);
    channel.outboundPipeline().addLast(new TlsOutboundHandler(engine));
    // Without this, a peer that connects and says nothing would hold its socket for as long as it likes.
    timer.schedule(() -> closeIfNoSession(channel, engine), HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static void closeIfNoSession(Channel channel, SSLEngine engine) {
    if (!channel.isClosed() && NO_SESSION.equals(engine.getSession().getCipherSuite())) {
      try {
        channel.close();
      } catch (IOException e) {
        // Closing is all that was wanted; a failure to close cleanly leaves nothing to do.
      }
    }
  }
}
