package dev.ledgerline.node.clustertls;

import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.instance.impl.DefaultNodeContext;
import com.hazelcast.instance.impl.DefaultNodeExtension;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.instance.impl.NodeExtension;
import com.hazelcast.internal.networking.ChannelInitializer;
import com.hazelcast.internal.server.ServerContext;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * The open-source node extension with every member channel wrapped in TLS. Hazelcast's own TLS is an Enterprise
 * feature (its open-source build refuses an enabled {@code <ssl>} config), but the open-source networking layer
 * takes channel initializers from the node extension, which a {@link DefaultNodeContext} subclass can supply.
 */
final class TlsNodeExtension extends DefaultNodeExtension {
  private final SSLContext context;
  /** Enforces the handshake timeout of every member channel of this node. */
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ledgerline-cluster-tls-timeout");
    t.setDaemon(true);
    return t;
  });

  TlsNodeExtension(Node node, SSLContext context) {
    super(node);
    this.context = context;
  }

  @Override
  public void afterShutdown() {
    super.afterShutdown();
    timer.shutdownNow();
  }

  @Override
  public Function<EndpointQualifier, ChannelInitializer> createChannelInitializerFn(ServerContext serverContext) {
    Function<EndpointQualifier, ChannelInitializer> plain = super.createChannelInitializerFn(serverContext);
    return qualifier -> {
      ChannelInitializer initializer = plain.apply(qualifier);
      return initializer == null ? null : new TlsChannelInitializer(initializer, context, timer);
    };
  }

  /** Creates nodes with this extension. */
  static final class Context extends DefaultNodeContext {
    private final SSLContext context;

    Context(SSLContext context) {
      this.context = context;
    }

    @Override
    public NodeExtension createNodeExtension(Node node) {
      return new TlsNodeExtension(node, context);
    }
  }
}
