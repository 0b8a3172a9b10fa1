package dev.ledgerline.node.clustertls;

import com.hazelcast.internal.networking.Channel;
import com.hazelcast.internal.networking.ChannelInitializer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * Puts TLS under Hazelcast's own channel set-up: the TLS handlers sit next to the socket on both pipelines and
 * Hazelcast's protocol handlers run on the plain side, unchanged. Both ends must present a certificate the
 * cluster's trust store accepts, so a member without one never gets past the handshake.
 */
final class TlsChannelInitializer implements ChannelInitializer {
  private final ChannelInitializer plain;
  private final SSLContext context;

  TlsChannelInitializer(ChannelInitializer plain, SSLContext context) {
    this.plain = plain;
    this.context = context;
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
  }
}
